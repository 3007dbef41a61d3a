using System.Text;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Convoy.Probes;

/// <summary>
/// What an orchestrator probes, the same in every cloud program: <c>/healthz</c> answers 200 while
/// the process serves requests at all (no dependency is asked, so a Kafka outage never gets every
/// pod restarted), <c>/readyz</c> runs the checks tagged <see cref="Ready"/> and answers 200
/// "Healthy" or 503 with one line per failing check, naming it and why. Compiled into each web
/// program (a linked file, src/Shared), internal to each.
/// </summary>
internal static class HealthEndpoints
{
    /// <summary>The tag of the checks <c>/readyz</c> runs.</summary>
    public const string Ready = "ready";

    public const string LivenessPath = "/healthz";

    public const string ReadinessPath = "/readyz";

    /// <summary>How long one readiness check may take before it counts as failed (a probe's own timeout is usually 1-5 s).</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Maps <c>/healthz</c> and <c>/readyz</c>; the caller adds its conventions (anonymous access, a port).</summary>
    public static IEndpointConventionBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("");
        group.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = static _ => false, ResponseWriter = WriteReport });
        group.MapHealthChecks(ReadinessPath, new HealthCheckOptions { Predicate = static check => check.Tags.Contains(Ready), ResponseWriter = WriteReport });
        return group;
    }

    /// <summary>Whether the request is for one of the two endpoints.</summary>
    public static bool IsHealthPath(PathString path) => path == LivenessPath || path == ReadinessPath;

    /// <summary>
    /// Plain text: "Healthy", or "Unhealthy" and one line per failing check
    /// (<c>kafka: no broker answered within 2 s at 127.0.0.1:9092 (...)</c>), for an operator reading
    /// <c>kubectl describe pod</c> or curl.
    /// </summary>
    internal static Task WriteReport(HttpContext context, HealthReport report)
    {
        var text = new StringBuilder(report.Status.ToString()).Append('\n');
        foreach (var (name, entry) in report.Entries.OrderBy(static e => e.Key, StringComparer.Ordinal))
        {
            if (entry.Status != HealthStatus.Healthy)
            {
                text.Append(name).Append(": ").Append(Reason(entry)).Append('\n');
            }
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(text.ToString(), context.RequestAborted);
    }

    private static string Reason(HealthReportEntry entry) =>
        entry.Description ?? entry.Exception?.Message ?? (entry.Duration >= CheckTimeout ? $"no answer within {CheckTimeout.TotalSeconds:0} s" : "failed without saying why");
}
