namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>The sentence types the parser decodes; every other well-formed sentence is counted as unsupported.</summary>
internal enum NmeaSentenceType
{
    Gga,
    Rmc,
    Vtg,
    Zda,
    Gll,
    Gns,
}

/// <summary>
/// The decoded fields of one GGA, RMC, GLL, GNS, VTG or ZDA sentence. A field the sentence does not carry,
/// or carried empty, is null (or -1 for the time of day), never zero, so that "no data" cannot
/// read as "at the equator, standing still".
/// </summary>
internal readonly struct NmeaSentence
{
    public NmeaSentenceType Type { get; init; }

    /// <summary>The two-character talker id (GP, GN, GL, BD, GA, ...), as ASCII bytes packed high then low.</summary>
    public ushort Talker { get; init; }

    /// <summary>UTC time of day in milliseconds (RMC, GGA, ZDA), -1 when absent (VTG carries none).</summary>
    public int TimeOfDayMs { get; init; }

    /// <summary>UTC date (RMC, ZDA).</summary>
    public DateOnly? Date { get; init; }

    /// <summary>The sentence says the receiver has a usable fix. False for RMC status V, GGA quality 0/7/8, mode N or S.</summary>
    public bool HasFix { get; init; }

    public double? Latitude { get; init; }

    public double? Longitude { get; init; }

    /// <summary>GGA only; <see cref="GpsFixQuality.Unknown"/> elsewhere.</summary>
    public GpsFixQuality Quality { get; init; }

    public int? Satellites { get; init; }

    public double? Hdop { get; init; }

    public double? AltitudeM { get; init; }

    /// <summary>Speed over ground in km/h (RMC's knots are converted).</summary>
    public double? SpeedKmh { get; init; }

    /// <summary>Course over ground, degrees from true north in [0, 360).</summary>
    public double? CourseDeg { get; init; }

    /// <summary>The talker id as text (allocates; for logs and tests, not the hot path).</summary>
    public string TalkerId => string.Create(2, Talker, static (span, t) =>
    {
        span[0] = (char)(t >> 8);
        span[1] = (char)(t & 0xFF);
    });
}
