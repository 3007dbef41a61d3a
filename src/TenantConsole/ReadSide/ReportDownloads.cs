using System.Globalization;
using Convoy.Contracts.Fleet.V1;
using Grpc.Core;

namespace Convoy.TenantConsole.ReadSide;

/// <summary>
/// The console's one download: the daily cold-chain report as CSV, for analysts, straight from the
/// read side's ExportDailyReport as the signed-in person. The tenant is the session's; the query
/// only narrows it (a device of another company is the read side's NOT_FOUND, here 404).
/// </summary>
internal static class ReportDownloads
{
    public const string DailyCsvPath = "/reports/daily.csv";

    public static void MapReportDownloads(this WebApplication app) =>
        app.MapGet(DailyCsvPath, DownloadAsync);

    /// <summary>The link the Reports page offers for <paramref name="day"/>, <paramref name="zoneRanges"/> ("zone:min:max") and, optionally, some devices.</summary>
    public static string Link(DateOnly day, IEnumerable<string> zoneRanges, IEnumerable<string>? devices = null)
    {
        var query = new List<string> { "day=" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        query.AddRange(zoneRanges.Select(static z => "zone=" + Uri.EscapeDataString(z)));
        query.AddRange((devices ?? []).Select(static d => "device=" + Uri.EscapeDataString(d)));
        return DailyCsvPath + "?" + string.Join('&', query);
    }

    private static async Task<IResult> DownloadAsync(HttpContext http, ReadSideClient readSide, string? day, string[]? zone, string[]? device)
    {
        var user = TenantUser.From(http.User);
        if (user is null)
        {
            return Results.Text("Sign in to download reports.", "text/plain", statusCode: StatusCodes.Status401Unauthorized);
        }

        if (!user.CanRunReports)
        {
            return Results.Text("Downloading reports needs the role analyst; ask your company's administrator.", "text/plain", statusCode: StatusCodes.Status403Forbidden);
        }

        if (!DateOnly.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return Results.Text($"day must be a date as yyyy-MM-dd, was '{day}'.", "text/plain", statusCode: StatusCodes.Status400BadRequest);
        }

        var from = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var request = new GetDailyReportRequest
        {
            FromUnixMs = from.ToUnixTimeMilliseconds(),
            ToUnixMs = from.AddDays(1).ToUnixTimeMilliseconds(),
            PageSize = 1000,
        };
        request.ZoneRanges.AddRange(zone ?? []);
        request.DeviceIds.AddRange(device ?? []);
        try
        {
            var body = await readSide.Fleet.ExportDailyReportAsync(request, ReadSideClient.As(user, http.RequestAborted));
            string file = string.Create(CultureInfo.InvariantCulture, $"cold-chain-{user.Tenant}-{date:yyyy-MM-dd}.csv");
            return Results.File(body.Data.ToByteArray(), body.ContentType is { Length: > 0 } type ? type : "text/csv", file);
        }
        catch (RpcException e)
        {
            ConsoleLog.ReadSideRefused(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.TenantConsole"),
                "ExportDailyReport", user.Tenant, e.StatusCode.ToString(), e.Status.Detail);
            int status = e.StatusCode switch
            {
                StatusCode.NotFound => StatusCodes.Status404NotFound,
                StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
                StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
                StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
                StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
                _ => StatusCodes.Status503ServiceUnavailable,
            };
            return Results.Text(ReadSideClient.Explain(e), "text/plain", statusCode: status);
        }
    }
}
