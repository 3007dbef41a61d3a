namespace Convoy.TenantConsole;

/// <summary>The tenant console's structured log events. Event names are stable: tests and operators grep them.</summary>
internal static partial class ConsoleLog
{
    [LoggerMessage(EventId = 1, EventName = "Listening", Level = LogLevel.Information,
        Message = "Tenant console on {Address}, reading the fleet from {ReadSide}; sign-in: {SignIn}")]
    public static partial void Listening(ILogger logger, string address, string readSide, string signIn);

    [LoggerMessage(EventId = 10, EventName = "SignedIn", Level = LogLevel.Information,
        Message = "{Subject} of tenant {Tenant} signed in ({How})")]
    public static partial void SignedIn(ILogger logger, string tenant, string subject, string how);

    [LoggerMessage(EventId = 11, EventName = "SignInRefused", Level = LogLevel.Warning,
        Message = "Sign-in refused: {Reason}")]
    public static partial void SignInRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 20, EventName = "ReadSideRefused", Level = LogLevel.Warning,
        Message = "The read side refused {Method} for tenant {Tenant}: {Status} {Detail}")]
    public static partial void ReadSideRefused(ILogger logger, string method, string tenant, string status, string detail);

    [LoggerMessage(EventId = 21, EventName = "WatchInterrupted", Level = LogLevel.Information,
        Message = "The live fleet watch of tenant {Tenant} stopped ({Status} {Detail}); watching again in {DelayMs} ms")]
    public static partial void WatchInterrupted(ILogger logger, string tenant, string status, string detail, int delayMs);

    [LoggerMessage(EventId = 30, EventName = "AlertAcknowledged", Level = LogLevel.Information,
        Message = "{Subject} of tenant {Tenant} acknowledged alert {AlertId}")]
    public static partial void AlertAcknowledged(ILogger logger, string tenant, string subject, string alertId);
}
