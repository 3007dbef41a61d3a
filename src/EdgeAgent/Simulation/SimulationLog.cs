using Microsoft.Extensions.Logging;

namespace Convoy.EdgeAgent.Simulation;

/// <summary>
/// What happened to a simulated truck, logged when it starts, at its simulated time, so a demo's
/// alerts can be related to their causes. Event names are stable: tests and users grep them.
/// </summary>
internal static partial class SimulationLog
{
    [LoggerMessage(EventId = 70, EventName = "SimulatedDepotEntered", Level = LogLevel.Information,
        Message = "{Device} entered depot {Depot} at {At:u}")]
    public static partial void DepotEntered(ILogger logger, string device, string depot, DateTimeOffset at);

    [LoggerMessage(EventId = 71, EventName = "SimulatedDepotLeft", Level = LogLevel.Information,
        Message = "{Device} left depot {Depot} at {At:u}")]
    public static partial void DepotLeft(ILogger logger, string device, string depot, DateTimeOffset at);

    [LoggerMessage(EventId = 72, EventName = "SimulatedRefuelled", Level = LogLevel.Information,
        Message = "{Device} refuelled at {Place} at {At:u}: {FromPercent:F1} % -> {ToPercent:F1} %")]
    public static partial void Refuelled(ILogger logger, string device, string place, DateTimeOffset at, double fromPercent, double toPercent);

    [LoggerMessage(EventId = 73, EventName = "SimulatedFuelTheft", Level = LogLevel.Information,
        Message = "{Device} had fuel stolen while parked at {Place} at {At:u}: {FromPercent:F1} % -> {ToPercent:F1} %")]
    public static partial void FuelTheft(ILogger logger, string device, string place, DateTimeOffset at, double fromPercent, double toPercent);

    [LoggerMessage(EventId = 74, EventName = "SimulatedDoorOpened", Level = LogLevel.Information,
        Message = "{Device} opened its reefer door at {Place} at {At:u} for {For}")]
    public static partial void DoorOpened(ILogger logger, string device, string place, DateTimeOffset at, TimeSpan @for);

    [LoggerMessage(EventId = 75, EventName = "SimulatedCompressorFailed", Level = LogLevel.Information,
        Message = "{Device}'s reefer compressor failed at {At:u}; the zones warm toward {AmbientC} °C")]
    public static partial void CompressorFailed(ILogger logger, string device, DateTimeOffset at, float ambientC);

    [LoggerMessage(EventId = 76, EventName = "SimulatedCompressorRepaired", Level = LogLevel.Information,
        Message = "{Device}'s reefer compressor was repaired at {At:u}")]
    public static partial void CompressorRepaired(ILogger logger, string device, DateTimeOffset at);

    [LoggerMessage(EventId = 77, EventName = "SimulatedSpeeding", Level = LogLevel.Information,
        Message = "{Device} started speeding at {At:u}: {SpeedKmh:F0} km/h for {For}")]
    public static partial void Speeding(ILogger logger, string device, DateTimeOffset at, double speedKmh, TimeSpan @for);

    [LoggerMessage(EventId = 78, EventName = "SimulatedGpsFixLost", Level = LogLevel.Information,
        Message = "{Device} lost its GPS fix at {At:u} for {For}")]
    public static partial void GpsFixLost(ILogger logger, string device, DateTimeOffset at, TimeSpan @for);
}
