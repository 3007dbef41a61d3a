using System.Security.Cryptography;
using System.Text;

namespace Convoy.AlertEngine.Alerts;

/// <summary>
/// Deterministic alert ids: the same (tenant, device, rule, zone, start time) always gives the same
/// id, so a replayed batch raises a recognisably identical alert.
/// </summary>
internal static class AlertIds
{
    public static string For(string tenant, string device, string ruleId, uint zone, long startMs)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{tenant}\n{device}\n{ruleId}\n{zone}\n{startMs}"), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
