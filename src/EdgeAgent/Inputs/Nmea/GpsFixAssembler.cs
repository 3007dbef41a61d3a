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
/// Invariants: a fix is <see cref="GpsFix.Valid"/> only if no sentence of its epoch said "no fix"
/// and it has a position; an invalid fix carries NaN coordinates. A fix is timestamped with the
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
    private bool _vetoed;
    private bool _saidFix;
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
                _vetoed |= !sentence.HasFix;
                _vtgSpeedKmh = sentence.SpeedKmh;
                _vtgCourse = sentence.CourseDeg;
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
        _vetoed |= !sentence.HasFix;
        _saidFix |= sentence.HasFix;
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

    private const int PositionTypes = (1 << (int)NmeaSentenceType.Rmc) | (1 << (int)NmeaSentenceType.Gga);

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

        bool valid = _saidFix && !_vetoed && _latitude is not null && _longitude is not null;
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
        _vetoed = false;
        _saidFix = false;
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
