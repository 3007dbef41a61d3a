namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>
/// Turns a receiver's sentence stream into one <see cref="GpsFix"/> per epoch. A receiver sends
/// several sentences per epoch (RMC, GGA, VTG, ZDA...) in an order of its own; those with a time
/// of day belong to the epoch of that time, a VTG (which has none) to the epoch in progress.
/// <para>
/// An epoch is emitted as soon as it holds every sentence type the previous complete epoch held
/// (so a 5 Hz receiver's fix leaves within its own epoch), and otherwise when the next epoch
/// begins or <see cref="Flush"/> is called (a lost sentence delays a fix, never drops it).
/// Sentences that arrive for an epoch already emitted are merged but do not emit it again.
/// </para>
/// <para>
/// Invariants: a fix is <see cref="GpsFix.Valid"/> only if some talker's sentences said "fix" and
/// none of that talker's said "no fix" (another constellation's "no fix" does not discard it), and
/// it has a position; an invalid fix carries NaN coordinates. A fix is timestamped with the
/// epoch's own date (RMC or ZDA) or else the last date seen, moved on a day when the time of day
/// wrapped past midnight; before any date was seen, no fix can be timestamped and none is emitted.
/// </para>
/// Not thread-safe: one reader feeds it.
/// </summary>
internal sealed class GpsFixAssembler
{
    private const int DayMs = 86_400_000;
    private static readonly int UnixEpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    private readonly Queue<GpsFix> _ready = new(4);

    // Sentence types seen in the last epoch that ended by the next one starting: what "complete" means.
    private int _expectedTypes;

    // The epoch in progress.
    private int _epochTimeMs = -1;
    private int _types;
    private bool _emitted;
    // Which talkers (GP, GL, GN, ...) said "fix" and which said "no fix" in this epoch: a
    // multi-constellation receiver may send a GPS GGA with a fix and a GLONASS GGA without one.
    private readonly ushort[] _fixTalkers = new ushort[MaxTalkers];
    private readonly ushort[] _noFixTalkers = new ushort[MaxTalkers];
    private int _fixTalkerCount;
    private int _noFixTalkerCount;
    private double? _latitude;
    private double? _longitude;
    private double? _rmcSpeedKmh;
    private double? _rmcCourse;
    private double? _vtgSpeedKmh;
    private double? _vtgCourse;
    private GpsFixQuality _quality = GpsFixQuality.Unknown;
    private int? _satellites;
    private double? _hdop;
    private double? _altitude;
    private DateOnly? _epochDate;

    // The last date a sentence carried, and the time of day it came with.
    private DateOnly? _lastDate;
    private int _lastDateTimeMs;

    /// <summary>Epochs that could not be emitted because no date had been seen yet.</summary>
    public long Undated { get; private set; }

    /// <summary>Adds a sentence the parser decoded (outcome Decoded or NoFix).</summary>
    public void Add(in NmeaSentence sentence)
    {
        if (sentence.TimeOfDayMs < 0 && sentence.Type != NmeaSentenceType.Vtg)
        {
            return; // a cold receiver's empty RMC/GGA: no epoch to belong to, and it must not veto the last one
        }

        if (sentence.TimeOfDayMs >= 0 && sentence.TimeOfDayMs != _epochTimeMs)
        {
            EndEpoch(learn: true);
            StartEpoch(sentence.TimeOfDayMs);
        }
        else if (_epochTimeMs < 0)
        {
            return; // a VTG before any timed sentence cannot be placed in time
        }

        _types |= 1 << (int)sentence.Type;
        if (sentence.Date is { } date)
        {
            _epochDate = date;
            _lastDate = date;
            _lastDateTimeMs = _epochTimeMs;
        }

        switch (sentence.Type)
        {
            case NmeaSentenceType.Rmc:
                Position(sentence);
                _rmcSpeedKmh = sentence.SpeedKmh;
                _rmcCourse = sentence.CourseDeg;
                break;
            case NmeaSentenceType.Gga:
                Position(sentence);
                _quality = sentence.Quality;
                _satellites = sentence.Satellites;
                _hdop = sentence.Hdop;
                _altitude = sentence.AltitudeM;
                break;
            case NmeaSentenceType.Vtg:
                Said(sentence.Talker, sentence.HasFix);
                _vtgSpeedKmh = sentence.SpeedKmh;
                _vtgCourse = sentence.CourseDeg;
                break;
            case NmeaSentenceType.Gll:
                Position(sentence);
                break;
            case NmeaSentenceType.Gns:
                Position(sentence);
                _satellites ??= sentence.Satellites;
                _hdop ??= sentence.Hdop;
                _altitude ??= sentence.AltitudeM;
                break;
            case NmeaSentenceType.Zda:
            default:
                break;
        }

        if (!_emitted && _expectedTypes != 0 && (_types & _expectedTypes) == _expectedTypes)
        {
            Emit();
        }
    }

    /// <summary>Emits the epoch in progress now if it has not been (end of a file, a dropped connection).</summary>
    public void Flush() => EndEpoch(learn: false);

    /// <summary>Takes the next assembled fix, oldest first.</summary>
    public bool TryTake(out GpsFix fix) => _ready.TryDequeue(out fix);

    private void Position(in NmeaSentence sentence)
    {
        Said(sentence.Talker, sentence.HasFix);
        if (sentence.HasFix && _latitude is null)
        {
            _latitude = sentence.Latitude;
            _longitude = sentence.Longitude;
        }
    }

    private void EndEpoch(bool learn)
    {
        if (_epochTimeMs < 0)
        {
            return;
        }

        if (learn && (_types & PositionTypes) != 0)
        {
            _expectedTypes = _types;
        }

        if (!_emitted)
        {
            Emit();
        }
    }

    private const int MaxTalkers = 8;

    private void Said(ushort talker, bool fix)
    {
        if (fix)
        {
            Remember(_fixTalkers, ref _fixTalkerCount, talker);
        }
        else
        {
            Remember(_noFixTalkers, ref _noFixTalkerCount, talker);
        }

        static void Remember(ushort[] talkers, ref int count, ushort talker)
        {
            if (Array.IndexOf(talkers, talker, 0, count) < 0 && count < talkers.Length)
            {
                talkers[count++] = talker;
            }
        }
    }

    /// <summary>
    /// The epoch is a fix when some talker said so and none of its own sentences said otherwise:
    /// a "no fix" from one constellation does not discard another's fix, whatever the order.
    /// </summary>
    private bool SomeTalkerHasAFix()
    {
        for (int i = 0; i < _fixTalkerCount; i++)
        {
            if (Array.IndexOf(_noFixTalkers, _fixTalkers[i], 0, _noFixTalkerCount) < 0)
            {
                return true;
            }
        }

        return false;
    }

    private const int PositionTypes = (1 << (int)NmeaSentenceType.Rmc) | (1 << (int)NmeaSentenceType.Gga)
        | (1 << (int)NmeaSentenceType.Gll) | (1 << (int)NmeaSentenceType.Gns);

    private void Emit()
    {
        // Only RMC and GGA say whether there is a fix; an epoch of VTG/ZDA alone is no fix at all.
        if ((_types & PositionTypes) == 0)
        {
            return;
        }

        _emitted = true;
        DateOnly? date = _epochDate;
        if (date is null && _lastDate is { } last)
        {
            // An epoch without its own date (no RMC or ZDA in it) takes the last one, moved on a
            // day if the time of day went back by more than half a day: the clock passed midnight.
            date = _epochTimeMs < _lastDateTimeMs - (DayMs / 2) ? last.AddDays(1) : last;
        }

        if (date is null)
        {
            Undated++;
            return;
        }

        bool valid = SomeTalkerHasAFix() && _latitude is not null && _longitude is not null;
        long unixMs = ((long)(date.Value.DayNumber - UnixEpochDay) * DayMs) + _epochTimeMs;
        _ready.Enqueue(new GpsFix(
            unixMs,
            valid,
            valid ? _latitude!.Value : double.NaN,
            valid ? _longitude!.Value : double.NaN,
            _vtgSpeedKmh ?? _rmcSpeedKmh,
            _vtgCourse ?? _rmcCourse,
            _quality,
            _satellites,
            _hdop,
            _altitude));
    }

    private void StartEpoch(int timeOfDayMs)
    {
        _epochTimeMs = timeOfDayMs;
        _types = 0;
        _emitted = false;
        _fixTalkerCount = 0;
        _noFixTalkerCount = 0;
        _latitude = null;
        _longitude = null;
        _rmcSpeedKmh = null;
        _rmcCourse = null;
        _vtgSpeedKmh = null;
        _vtgCourse = null;
        _quality = GpsFixQuality.Unknown;
        _satellites = null;
        _hdop = null;
        _altitude = null;
        _epochDate = null;
    }
}
