using System.ComponentModel.DataAnnotations;
using Convoy.OptionsValidation;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Inputs.Nmea;

/// <summary>Where the agent reads NMEA 0183 from.</summary>
public enum NmeaSourceKind
{
    /// <summary>A TCP server sending raw NMEA lines: gpsd (with <see cref="NmeaOptions.GpsdWatch"/>) or a serial-to-TCP bridge.</summary>
    Tcp,

    /// <summary>A receiver on a serial port (UART, or a USB receiver's virtual port).</summary>
    Serial,

    /// <summary>A capture file, replayed (tests, demos, reproducing a field report).</summary>
    File,

    /// <summary>No GPS receiver: a gateway that only has sensors on its MQTT broker.</summary>
    None,
}

/// <summary>How a <see cref="NmeaSourceKind.File"/> replay is paced.</summary>
public enum NmeaPacing
{
    /// <summary>Fixes are delivered as far apart as the receiver's own timestamps say.</summary>
    SentenceTime,

    /// <summary>Fixes are delivered as fast as they are read.</summary>
    AsFastAsPossible,
}

/// <summary>Configuration section <c>EdgeAgent:Nmea</c>: the GPS receiver input.</summary>
public sealed class NmeaOptions : IValidatableObject
{
    public const string SectionName = "EdgeAgent:Nmea";

    private static readonly int[] StandardBaudRates = [4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];

    /// <summary>
    /// The default reads gpsd on the gateway itself, the usual way a Linux gateway shares one
    /// receiver among programs.
    /// </summary>
    public NmeaSourceKind Source { get; set; } = NmeaSourceKind.Tcp;

    /// <summary>TCP: host of gpsd or of the NMEA bridge.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP: port; 2947 is gpsd's.</summary>
    public int Port { get; set; } = 2947;

    /// <summary>
    /// TCP: on connecting, ask gpsd for raw NMEA (<c>?WATCH={"enable":true,"raw":1}</c>); gpsd's JSON
    /// replies are skipped. Set false for a plain bridge (ser2net, a GPS-to-TCP app) that sends NMEA unasked.
    /// </summary>
    public bool GpsdWatch { get; set; } = true;

    /// <summary>Serial: the port, e.g. <c>/dev/ttyUSB0</c>, <c>/dev/ttyACM0</c>, <c>/dev/ttyAMA0</c>, <c>COM3</c>.</summary>
    public string SerialPort { get; set; } = "/dev/ttyUSB0";

    /// <summary>Serial: bits per second, 8N1. NMEA 0183 says 4800; most current receivers default to 9600, some to 115200.</summary>
    public int BaudRate { get; set; } = 9600;

    /// <summary>File: the capture to replay; lines starting with '#' are comments.</summary>
    public string? Path { get; set; }

    /// <summary>File: replay in the receiver's time, or as fast as possible.</summary>
    public NmeaPacing Pacing { get; set; } = NmeaPacing.SentenceTime;

    /// <summary>File, paced: a jump in the receiver's time longer than this (or backwards) is not waited for.</summary>
    public TimeSpan ReplayMaxGap { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>TCP and serial: first delay before reconnecting; doubles per failed attempt, with jitter, up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>TCP and serial: with no data for this long the connection is taken as dead and reopened (receivers talk at least once a second).</summary>
    [SettingRange("EdgeAgent:Nmea:IdleTimeout", "00:00:00.1", "10675199.02:48:05.4775807", Reason = "must be at least 100 ms (receivers send every 0.1..1 s)")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Also deliver epochs without a fix (<see cref="GpsFix.Valid"/> false, NaN position): a heartbeat that the receiver is alive.</summary>
    public bool IncludeNoFix { get; set; }

    /// <summary>
    /// A speed above this (km/h) is a receiver glitch, not a truck: it is dropped and counted
    /// (<c>convoy.edge.gps.implausible</c>), the fix keeps the last plausible speed. At most 400, the
    /// collector's limit; never clamped, so a glitch never looks like speeding.
    /// </summary>
    public double MaxSpeedKmh { get; set; } = 250;

    /// <summary>
    /// TCP and serial: how far a fix's time may be from the gateway's clock. Beyond it, a time off
    /// by whole 1,024-week GPS eras (the week-number rollover) is corrected, and any other is
    /// replaced by the gateway's receive time; both are counted (<c>convoy.edge.gps.time_corrected</c>).
    /// Keep it within <c>EdgeAgent:MaxClockSkew</c>, or a fast receiver's batches would be ahead of
    /// what the collector takes. Capture replays (<see cref="NmeaSourceKind.File"/>) keep their own time.
    /// </summary>
    [SettingRange("EdgeAgent:Nmea:MaxClockDifference", "00:00:01", "1.00:00:00", Reason = "must be 1 s..1 day")]
    public TimeSpan MaxClockDifference { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The rules of the chosen source, and those that span settings (the simple ones are attributes).</summary>
    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (!Enum.IsDefined(Source))
        {
            yield return Invalid("Source", $"must be Tcp, Serial, File or None, was '{Source}'");
        }

        switch (Source)
        {
            case NmeaSourceKind.Tcp:
                if (string.IsNullOrWhiteSpace(Host))
                {
                    yield return Invalid("Host", "must name the host serving NMEA (gpsd or a bridge), was empty");
                }

                if (Port is < 1 or > 65535)
                {
                    yield return Invalid("Port", $"must be 1..65535, was {Port}");
                }

                break;
            case NmeaSourceKind.Serial:
                if (string.IsNullOrWhiteSpace(SerialPort))
                {
                    yield return Invalid("SerialPort", "must name the receiver's port (e.g. /dev/ttyUSB0), was empty");
                }

                if (Array.IndexOf(StandardBaudRates, BaudRate) < 0)
                {
                    yield return Invalid("BaudRate", $"must be one of {string.Join(", ", StandardBaudRates)}, was {BaudRate}");
                }

                break;
            case NmeaSourceKind.None:
                break;
            case NmeaSourceKind.File:
            default:
                if (string.IsNullOrWhiteSpace(Path) || !File.Exists(Path))
                {
                    yield return Invalid("Path", $"must name an existing NMEA capture file, was '{Path}'");
                }

                if (!Enum.IsDefined(Pacing))
                {
                    yield return Invalid("Pacing", $"must be SentenceTime or AsFastAsPossible, was '{Pacing}'");
                }

                if (ReplayMaxGap <= TimeSpan.Zero)
                {
                    yield return Invalid("ReplayMaxGap", $"must be positive, was {ReplayMaxGap}");
                }

                break;
        }

        if (ReconnectDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectDelay)
        {
            yield return Invalid("ReconnectDelay", $"must be positive and at most {SectionName}:ReconnectMaxDelay, was {ReconnectDelay} with {ReconnectMaxDelay}");
        }

        if (!(MaxSpeedKmh > 0 && MaxSpeedKmh <= 400))
        {
            yield return Invalid("MaxSpeedKmh", $"must be above 0 and at most 400 (the collector's limit), was {MaxSpeedKmh}");
        }
    }

    private static ValidationResult Invalid(string key, string reason) => new($"Configuration '{SectionName}:{key}' {reason}.");
}

/// <summary>Checks <see cref="NmeaOptions"/>: its attributes and <see cref="IValidatableObject"/> rules, generated (no reflection, AOT-safe).</summary>
[OptionsValidator]
internal sealed partial class NmeaOptionsValidator : IValidateOptions<NmeaOptions>;
