using System.Globalization;
using Confluent.Kafka;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet;
using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Projection;
using Convoy.FleetHistory.Reports;
using Convoy.FleetHistory.Store;
using Convoy.Kafka;
using Convoy.Pki;
using Google.Api;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Convoy.FleetHistory.Query;

/// <summary>
/// The query API (<c>proto/convoy/fleet/v1/fleet_history.proto</c>), served as gRPC and, through
/// JSON transcoding, as HTTP/JSON. Every method takes the tenant from the caller's token and
/// nothing else; a device of another tenant and a device that does not exist get the same
/// NOT_FOUND.
/// </summary>
internal sealed partial class FleetHistoryService : Contracts.Fleet.V1.FleetHistory.FleetHistoryBase
{
    public const int MaxPageSize = 10_000;
    public const int MaxAlertPageSize = 1000;
    public const int MaxNoteLength = 500;
    private static readonly long MaxTrackSpanMs = (long)TimeSpan.FromDays(31).TotalMilliseconds;
    private static readonly long MaxHourSpanMs = (long)TimeSpan.FromDays(366).TotalMilliseconds;
    private readonly IFleetStore _store;
    private readonly QueryGate _gate;
    private readonly ConsumerLag _progress;
    private readonly FleetHistoryMetrics _metrics;
    private readonly ILogger<FleetHistoryService> _logger;
    private readonly FleetHistoryOptions _options;
    private readonly FleetRules _rules;
    private readonly AcknowledgementWriter _acknowledgements;
    private readonly TimeProvider _time;
    private readonly FleetWatchers _watchers;
    private readonly ProjectionRebuilds _rebuilds;
    private readonly RetentionEnforcer _retention;
    private readonly CancellationToken _stopping;

    public FleetHistoryService(IFleetStore store, QueryGate gate, ConsumerLag progress, FleetHistoryMetrics metrics, FleetRules rules,
        AcknowledgementWriter acknowledgements, FleetWatchers watchers, ProjectionRebuilds rebuilds, RetentionEnforcer retention, TimeProvider time, IHostApplicationLifetime lifetime,
        IOptions<FleetHistoryOptions> options, ILogger<FleetHistoryService> logger)
    {
        _rebuilds = rebuilds;
        _retention = retention;
        _watchers = watchers;
        _stopping = lifetime.ApplicationStopping;
        _options = options.Value;
        _rules = rules;
        _acknowledgements = acknowledgements;
        _time = time;
        _store = store;
        _gate = gate;
        _progress = progress;
        _metrics = metrics;
        _logger = logger;
    }

    public override Task<GetFleetStateResponse> GetFleetState(GetFleetStateRequest request, ServerCallContext context) =>
        Run(nameof(GetFleetState), context, FleetRole.Viewer, caller =>
        {
            int size = PageSize(request.PageSize, 1000, MaxPageSize);
            var selected = Selection(caller, request.DeviceIds, request.Tags);
            var parts = PageToken.Read(request.PageToken, "state", 1);
            var response = new GetFleetStateResponse();
            if (selected is { Count: 0 })
            {
                return response; // no device carries every tag asked for
            }

            var devices = _store.FleetState(caller.Tenant, selected ?? [], parts?[0] ?? "", size + 1);
            response.Devices.AddRange(devices.Take(size));
            _rules.Tag(caller.Tenant, response.Devices);
            if (devices.Count > size)
            {
                response.NextPageToken = PageToken.Of("state", devices[size - 1].DeviceId);
            }

            return response;
        });

    public override Task<GetTrackResponse> GetTrack(GetTrackRequest request, ServerCallContext context) =>
        Run(nameof(GetTrack), context, FleetRole.Viewer, caller =>
        {
            Range(request.FromUnixMs, request.ToUnixMs, MaxTrackSpanMs, "31 days");
            if (request.Zoom is < 0 or > 22)
            {
                throw Invalid($"zoom {request.Zoom} is not a map zoom level; give 1..22, or 0 for every point");
            }

            int size = PageSize(request.PageSize, MaxPageSize, MaxPageSize);
            Device(caller, request.DeviceId);
            long after = PageToken.ReadLong(request.PageToken, "track", long.MinValue);
            var points = _store.Track(caller.Tenant, request.DeviceId, request.FromUnixMs, request.ToUnixMs, after, size + 1);
            var page = points.Take(size).ToList();
            var response = new GetTrackResponse();
            response.Points.AddRange(TrackSimplifier.Simplify(page, request.Zoom));
            if (points.Count > size)
            {
                response.NextPageToken = PageToken.Of("track", page[^1].TimeUnixMs);
            }

            return response;
        });

    public override Task<GetRollupsResponse> GetRollups(GetRollupsRequest request, ServerCallContext context) =>
        Run(nameof(GetRollups), context, FleetRole.Viewer, caller =>
        {
            if (request.Resolution is not (Resolution.Minute or Resolution.Hour))
            {
                throw Invalid("resolution must be RESOLUTION_MINUTE or RESOLUTION_HOUR");
            }

            Sensor(request.Sensor, request.Zone);
            Range(request.FromUnixMs, request.ToUnixMs, request.Resolution == Resolution.Hour ? MaxHourSpanMs : MaxTrackSpanMs,
                request.Resolution == Resolution.Hour ? "366 days for hours" : "31 days for minutes");
            int size = PageSize(request.PageSize, MaxPageSize, MaxPageSize);
            Device(caller, request.DeviceId);
            long after = PageToken.ReadLong(request.PageToken, "rollups", long.MinValue);
            var rollups = _store.Rollups(caller.Tenant, request.DeviceId, request.Sensor, request.Zone, request.Resolution, request.FromUnixMs, request.ToUnixMs, after, size + 1);
            var response = new GetRollupsResponse();
            response.Rollups.AddRange(rollups.Take(size));
            if (rollups.Count > size)
            {
                response.NextPageToken = PageToken.Of("rollups", rollups[size - 1].StartUnixMs);
            }

            return response;
        });

    public override Task<ListAlertsResponse> ListAlerts(ListAlertsRequest request, ServerCallContext context) =>
        Run(nameof(ListAlerts), context, FleetRole.Viewer, caller =>
        {
            if (request.FromUnixMs != 0 || request.ToUnixMs != 0)
            {
                Range(request.FromUnixMs, request.ToUnixMs, long.MaxValue, "");
            }

            if (request.State is not (AlertState.Unspecified or AlertState.Firing or AlertState.Resolved))
            {
                throw Invalid($"state {(int)request.State} is not an alert state");
            }

            int size = PageSize(request.PageSize, 100, MaxAlertPageSize);
            if (request.DeviceId.Length > 0)
            {
                Device(caller, request.DeviceId);
            }

            AlertCursor? after = null;
            if (PageToken.Read(request.PageToken, "alerts", 2) is { } parts)
            {
                after = long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long start)
                    ? new AlertCursor(start, parts[1])
                    : throw Invalid("page_token is damaged; pass the next_page_token of the previous answer unchanged");
            }

            var filter = new AlertFilter(request.DeviceId, request.RuleId, request.State, request.FromUnixMs, request.ToUnixMs);
            var alerts = _store.Alerts(caller.Tenant, filter, after, size + 1);
            var response = new ListAlertsResponse();
            response.Alerts.AddRange(alerts.Take(size));
            if (alerts.Count > size)
            {
                var last = alerts[size - 1];
                response.NextPageToken = PageToken.Of("alerts", last.StartTimeUnixMs.ToString(CultureInfo.InvariantCulture), last.AlertId);
            }

            return response;
        });

    public override Task<GetDailyReportResponse> GetDailyReport(GetDailyReportRequest request, ServerCallContext context) =>
        Run(nameof(GetDailyReport), context, FleetRole.Analyst, caller =>
        {
            var (devices, next) = ReportDevices(caller, request, PageSize(request.PageSize, 100, 1000));
            var response = new GetDailyReportResponse { NextPageToken = next };
            foreach (string device in devices)
            {
                response.Days.AddRange(DailyReportReader.Device(_store, caller.Tenant, device, request.FromUnixMs, request.ToUnixMs, ZoneRanges(request)));
            }

            return response;
        });

    public override Task<HttpBody> ExportDailyReport(GetDailyReportRequest request, ServerCallContext context) =>
        Run(nameof(ExportDailyReport), context, FleetRole.Analyst, caller =>
        {
            var (devices, next) = ReportDevices(caller, request, PageSize(request.PageSize, 1000, 1000));
            if (next.Length > 0)
            {
                throw Invalid("the export would hold more than 1000 devices; name at most 1000 in device_ids, or export page by page with page_size and page_token of GetDailyReport");
            }

            var ranges = ZoneRanges(request);
            var days = devices.SelectMany(d => DailyReportReader.Device(_store, caller.Tenant, d, request.FromUnixMs, request.ToUnixMs, ranges));
            return new HttpBody { ContentType = "text/csv; charset=utf-8", Data = ByteString.CopyFromUtf8(DailyReportReader.Csv(days)) };
        });

    public override Task<Alert> AcknowledgeAlert(AcknowledgeAlertRequest request, ServerCallContext context) =>
        RunAsync(nameof(AcknowledgeAlert), context, FleetRole.Viewer, async caller =>
        {
            if (!IsAlertId(request.AlertId))
            {
                throw Invalid($"alert_id '{Printable(request.AlertId)}' is not an alert id; give the 32 lowercase hex characters of an alert's alert_id, as ListAlerts answers it");
            }

            if (string.IsNullOrWhiteSpace(request.Note) || request.Note.Length > MaxNoteLength)
            {
                throw Invalid(string.IsNullOrWhiteSpace(request.Note)
                    ? "note is empty; say in 1..500 characters what was done about the alert"
                    : $"note has {request.Note.Length} characters; keep it to {MaxNoteLength}");
            }

            if (caller.Subject.Length == 0)
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied,
                    "the token names nobody (no 'sub' claim), and an acknowledgement records who made it; use a token issued to a person or an app"));
            }

            // Another tenant's alert is not in this tenant's store: the same NOT_FOUND as a missing one.
            var filter = new AlertFilter("", "", AlertState.Unspecified, 0, 0, [request.AlertId]);
            var found = await Task.Run(() => _store.Alerts(caller.Tenant, filter, null, 1), context.CancellationToken);
            var alert = found.Count > 0 ? found[0] : throw new RpcException(new Status(StatusCode.NotFound, $"alert {request.AlertId} not found"));
            var acknowledgement = new Acknowledgement { By = caller.Subject, Note = request.Note, TimeUnixMs = _time.GetUtcNow().ToUnixTimeMilliseconds() };
            var acknowledged = new AlertAcknowledged { AlertId = alert.AlertId, TenantId = caller.Tenant, DeviceId = alert.DeviceId, Acknowledgement = acknowledgement };
            try
            {
                await _acknowledgements.WriteAsync(acknowledged, context.CancellationToken);
            }
            catch (KafkaException e)
            {
                FleetHistoryLog.AcknowledgementNotWritten(_logger, alert.AlertId, caller.Tenant, e.Error.Reason);
                throw new RpcException(new Status(StatusCode.Unavailable, $"Kafka did not take the acknowledgement ({e.Error.Reason}); nothing was recorded, acknowledge again"));
            }

            FleetHistoryLog.AlertAcknowledged(_logger, alert.AlertId, caller.Tenant, alert.DeviceId, caller.Subject);
            alert.Acknowledgement = acknowledgement;
            return alert;
        });

    public override Task<GetRulesResponse> GetRules(GetRulesRequest request, ServerCallContext context) =>
        Run(nameof(GetRules), context, FleetRole.Viewer, caller => _rules.Rules(caller.Tenant));

    /// <summary>
    /// The devices a fleet state or watch request selects: those named (at most 1000), narrowed to
    /// those carrying every tag asked for; null = every device of the tenant. An empty list: none.
    /// </summary>
    private List<string>? Selection(QueryCaller caller, RepeatedField<string> deviceIds, RepeatedField<string> tags)
    {
        if (deviceIds.Count > 1000)
        {
            throw Invalid($"device_ids names {deviceIds.Count} devices; ask for at most 1000 at once, or none for the whole fleet");
        }

        if (tags.Count > 32)
        {
            throw Invalid($"tags names {tags.Count} tags; a device carries every tag asked for, so ask for at most 32");
        }

        foreach (string tag in tags)
        {
            if (!DeviceIdentity.IsValidDevice(tag))
            {
                throw Invalid($"tag '{Printable(tag)}' is not a tag (1..64 characters of [A-Za-z0-9._-], as in the rule file's devices: map)");
            }
        }

        if (tags.Count == 0)
        {
            return deviceIds.Count == 0 ? null : [.. deviceIds];
        }

        var carrying = _rules.Carrying(caller.Tenant, tags);
        return deviceIds.Count == 0 ? [.. carrying.Order(StringComparer.Ordinal)] : [.. deviceIds.Where(carrying.Contains)];
    }

    /// <summary>Checks a report request; the page of the tenant's devices it covers, and the token of the next page.</summary>
    private (List<string> Devices, string Next) ReportDevices(QueryCaller caller, GetDailyReportRequest request, int size)
    {
        if (request.FromUnixMs % DailyReport.DayMs != 0 || request.ToUnixMs % DailyReport.DayMs != 0)
        {
            throw Invalid($"from_unix_ms {request.FromUnixMs} and to_unix_ms {request.ToUnixMs} must both be midnight UTC (multiples of 86400000): a report covers whole days");
        }

        Range(request.FromUnixMs, request.ToUnixMs, 31 * DailyReport.DayMs, "31 days");
        if (request.DeviceIds.Count > 1000)
        {
            throw Invalid($"device_ids names {request.DeviceIds.Count} devices; ask for at most 1000 at once, or none for the whole fleet");
        }

        ZoneRanges(request);
        foreach (string device in request.DeviceIds)
        {
            Device(caller, device);
        }

        var parts = PageToken.Read(request.PageToken, "report", 1);
        var page = _store.FleetState(caller.Tenant, request.DeviceIds, parts?[0] ?? "", size + 1).Select(d => d.DeviceId).ToList();
        string next = page.Count > size ? PageToken.Of("report", page[size - 1]) : "";
        return ([.. page.Take(size)], next);
    }

    /// <summary>The request's zone ranges, "zone:min:max" each; INVALID_ARGUMENT naming the bad one.</summary>
    private static List<ZoneRange> ZoneRanges(GetDailyReportRequest request)
    {
        var ranges = new List<ZoneRange>();
        foreach (string text in request.ZoneRanges)
        {
            string[] parts = text.Split(':');
            if (parts.Length != 3
                || !uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out uint zone)
                || !float.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out float min)
                || !float.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out float max))
            {
                throw Invalid($"zone_ranges '{Printable(text)}' is not <zone>:<min_c>:<max_c>, e.g. 1:2:8");
            }

            if (zone is < 1 or > 8 || ranges.Exists(r => r.Zone == zone))
            {
                throw Invalid($"zone_ranges '{Printable(text)}' names zone {zone}; give each reefer zone 1..8 at most once");
            }

            if (!float.IsFinite(min) || !float.IsFinite(max) || min >= max)
            {
                throw Invalid($"zone_ranges '{Printable(text)}' is not a range; give min_c < max_c");
            }

            ranges.Add(new ZoneRange(zone, min, max));
        }

        return ranges;
    }

    public override Task<Contracts.Fleet.V1.Retention> GetRetention(GetRetentionRequest request, ServerCallContext context) =>
        Run(nameof(GetRetention), context, FleetRole.Viewer, caller => InEffect(caller.Tenant));

    public override Task<Contracts.Fleet.V1.Retention> SetRetention(Contracts.Fleet.V1.Retention request, ServerCallContext context) =>
        RunAsync(nameof(SetRetention), context, FleetRole.Admin, async caller =>
        {
            foreach (var (name, days) in new[] { ("positions_days", request.PositionsDays), ("rollups_days", request.RollupsDays), ("alerts_days", request.AlertsDays) })
            {
                if (days is < 0 or > RetentionOptions.MaxDays)
                {
                    throw Invalid($"{name} {days} is out of range; give 1..{RetentionOptions.MaxDays} days, or 0 for the platform's default");
                }
            }

            await Task.Run(() => _store.SetRetention(caller.Tenant, new RetentionDays(request.PositionsDays, request.RollupsDays, request.AlertsDays)), context.CancellationToken);
            // The topics keep what the store keeps: set now rather than at the next retention pass.
            await _retention.SetTopicsAsync(caller.Tenant);
            return await Task.Run(() => InEffect(caller.Tenant), context.CancellationToken);
        });

    private Contracts.Fleet.V1.Retention InEffect(string tenant)
    {
        var days = _retention.InEffect(tenant);
        return new Contracts.Fleet.V1.Retention { PositionsDays = days.Positions, RollupsDays = days.Rollups, AlertsDays = days.Alerts };
    }

    public override Task<GetProjectionStatusResponse> GetProjectionStatus(GetProjectionStatusRequest request, ServerCallContext context) =>
        Run(nameof(GetProjectionStatus), context, FleetRole.Viewer, caller =>
        {
            var response = new GetProjectionStatusResponse();
            var owned = _progress.Partitions.Where(p => TenantTopics.TenantOf(p.Topic) == caller.Tenant)
                .ToDictionary(p => new PartitionKey(p.Topic, p.Partition), p => (p.Next, p.End));
            // Partitions another instance of the group owns are still in the store, without an end.
            foreach (var (partition, next) in _store.Offsets(caller.Tenant))
            {
                owned.TryAdd(partition, (next, -1));
            }

            foreach (var (partition, (next, end)) in owned.OrderBy(p => p.Key.Topic, StringComparer.Ordinal).ThenBy(p => p.Key.Partition))
            {
                response.Partitions.Add(new PartitionStatus
                {
                    Topic = partition.Topic, Partition = partition.Partition, NextOffset = next, EndOffset = end, Lag = end >= 0 ? Math.Max(0, end - next) : -1,
                });
            }

            response.Rebuild = _rebuilds.Status(caller.Tenant);
            return response;
        });

    public override Task<RebuildStatus> StartRebuild(StartRebuildRequest request, ServerCallContext context) =>
        Run(nameof(StartRebuild), context, FleetRole.Admin, caller =>
        {
            if ((request.FromUnixMs != 0) == request.FromBeginning)
            {
                throw Invalid("give exactly one of from_unix_ms (rebuild from the records taken at or after that time) and from_beginning (from every record the topics still hold)");
            }

            long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (request.FromUnixMs < 0 || request.FromUnixMs > now)
            {
                throw Invalid($"from_unix_ms {request.FromUnixMs} is not a time in the past (now is {now})");
            }

            return _rebuilds.Start(caller.Tenant, request.FromUnixMs);
        });

    /// <summary>Admits the caller, runs the query on a pool thread (the stores block) and maps a store failure to UNAVAILABLE.</summary>
    private Task<T> Run<T>(string method, ServerCallContext context, FleetRole role, Func<QueryCaller, T> query) =>
        RunAsync(method, context, role, caller => Task.Run(() => query(caller), context.CancellationToken));

    /// <summary>As <see cref="Run{T}"/>, for a method that awaits (its store calls go to a pool thread themselves).</summary>
    private async Task<T> RunAsync<T>(string method, ServerCallContext context, FleetRole role, Func<QueryCaller, Task<T>> query)
    {
        QueryCaller? caller = null;
        try
        {
            caller = await _gate.AdmitAsync(context, role);
            var result = await query(caller);
            _metrics.Query(method, "OK");
            return result;
        }
        catch (RpcException e)
        {
            _metrics.Query(method, e.StatusCode.ToString());
            throw;
        }
        catch (StoreUnavailableException e)
        {
            _metrics.Query(method, nameof(StatusCode.Unavailable));
            FleetHistoryLog.StoreReadFailed(_logger, caller?.Tenant ?? "", e.Message);
            throw new RpcException(new Status(StatusCode.Unavailable, "the fleet history store is unavailable right now; try again shortly"));
        }
    }

    /// <summary>A device of the caller's tenant, or NOT_FOUND: the same answer whether it belongs to another tenant or to nobody.</summary>
    private void Device(QueryCaller caller, string device)
    {
        if (!DeviceIdentity.IsValidDevice(device))
        {
            throw Invalid($"device_id '{Printable(device)}' is not a device id (1..64 characters of [A-Za-z0-9._-])");
        }

        if (!_store.HasDevice(caller.Tenant, device))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"device {device} not found"));
        }
    }

    private static void Range(long from, long to, long maxSpan, string maxText)
    {
        if (from < 0 || to <= from)
        {
            throw Invalid($"from_unix_ms {from} and to_unix_ms {to} are not a time range; give 0 <= from < to, in milliseconds since the Unix epoch");
        }

        if (to - from > maxSpan)
        {
            throw Invalid($"the range from {from} to {to} is longer than {maxText}; ask for a shorter range");
        }
    }

    private static void Sensor(string sensor, uint zone)
    {
        bool known = sensor is TelemetryFold.Temperature or TelemetryFold.Fuel or TelemetryFold.Speed
            or "engine_rpm" or "battery_voltage_v" or "reefer_door_open" or "humidity_percent" or "odometer_km"
            || (sensor.StartsWith("custom:", StringComparison.Ordinal) && sensor.Length is > 7 and <= 71);
        if (!known)
        {
            throw Invalid($"sensor '{Printable(sensor)}' is not a sensor; give temperature, fuel, speed, engine_rpm, battery_voltage_v, reefer_door_open, humidity_percent, odometer_km or custom:<name>");
        }

        if (sensor == TelemetryFold.Temperature ? zone is < 1 or > 8 : zone != 0)
        {
            throw Invalid(sensor == TelemetryFold.Temperature ? $"zone {zone} is not a reefer zone; give 1..8" : $"zone must be 0 for sensor {sensor}");
        }
    }

    /// <summary>32 lowercase hex characters, as the alert engine makes alert ids (src/AlertEngine/Alerts/AlertIds.cs).</summary>
    private static bool IsAlertId(string id) => id.Length == 32 && id.All(static c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static int PageSize(int requested, int defaultSize, int max)
    {
        if (requested < 0 || requested > max)
        {
            throw Invalid($"page_size {requested} is out of range; give 1..{max}, or 0 for {defaultSize}");
        }

        return requested == 0 ? defaultSize : requested;
    }

    private static string Printable(string value) => value.Length > 64 ? string.Concat(value.AsSpan(0, 64), "...") : value.ReplaceLineEndings(" ");

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
