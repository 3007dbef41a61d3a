using Microsoft.Extensions.Logging;

namespace Convoy.Tokens;

/// <summary>
/// The token library's structured log events, written to the logger each program gives
/// <see cref="TokenKeys"/> (the collector's is its <c>Convoy.Collector</c> category). Event names are
/// stable: tests and operators grep them. Ids 5 and 6 are the ones these events had as the
/// collector's own, so a program that logs its own events under the same category keeps them free.
/// </summary>
internal static partial class TokensLog
{
    [LoggerMessage(EventId = 5, EventName = "TokenKeysReloaded", Level = LogLevel.Information,
        Message = "Reloaded the token signing keys: {Keys} key(s) in use")]
    public static partial void KeysReloaded(ILogger logger, int keys);

    [LoggerMessage(EventId = 6, EventName = "TokenKeysReloadFailed", Level = LogLevel.Error,
        Message = "Could not reload the token signing keys, keeping the ones in use: {Reason}")]
    public static partial void KeysReloadFailed(ILogger logger, string reason);
}
