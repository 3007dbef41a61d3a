using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;
using Google.Protobuf.Collections;
using Grpc.Core;

namespace Convoy.Collector.Validation;

/// <summary>The outcome of validating one batch: OK with its reading count, or a status and a message naming the field.</summary>
internal readonly record struct BatchVerdict(StatusCode Status, string? Problem, int Readings)
{
    public bool IsValid => Status == StatusCode.OK;

    public static BatchVerdict Valid(int readings) => new(StatusCode.OK, null, readings);

    public static BatchVerdict Invalid(string problem) => new(StatusCode.InvalidArgument, problem, 0);

    public static BatchVerdict Denied(string problem) => new(StatusCode.PermissionDenied, problem, 0);
}

/// <summary>
/// Checks a batch against the contract in telemetry.proto and against who sent it. A batch is
/// all or nothing: one bad reading refuses the whole batch, so nothing half-valid reaches Kafka.
/// </summary>
internal sealed class BatchValidator
{
    private readonly TimeSpan _maxSkew;
    private readonly TimeSpan _maxAge;

    public BatchValidator(CollectorOptions options)
    {
        _maxSkew = options.MaxClockSkew;
        _maxAge = options.MaxBatchAge;
    }

    public BatchVerdict Validate(TelemetryBatch batch, DeviceIdentity sender, DateTimeOffset now)
    {
        if (batch.TenantId.Length != 0 && batch.TenantId != sender.Tenant)
        {
            return BatchVerdict.Denied($"tenant_id '{batch.TenantId}' is not the tenant of this device's certificate ('{sender.Tenant}')");
        }

        if (batch.DeviceId != sender.Device)
        {
            return BatchVerdict.Denied(batch.DeviceId.Length == 0
                ? "device_id is empty; it must name this device"
                : $"device_id '{batch.DeviceId}' is not the device of this certificate ('{sender.Device}')");
        }

        if (batch.Sequence == 0)
        {
            return BatchVerdict.Invalid("sequence must start at 1");
        }

        long nowMs = now.ToUnixTimeMilliseconds();
        if (batch.BaseTimeUnixMs > nowMs + (long)_maxSkew.TotalMilliseconds)
        {
            return BatchVerdict.Invalid($"base_time_unix_ms {batch.BaseTimeUnixMs} is more than {_maxSkew} in the future; check the device clock");
        }

        if (batch.BaseTimeUnixMs < nowMs - (long)_maxAge.TotalMilliseconds)
        {
            return BatchVerdict.Invalid($"base_time_unix_ms {batch.BaseTimeUnixMs} is older than {_maxAge}");
        }

        int readings = 0;
        string? problem = null;
        if (batch.Gps is { } gps)
        {
            int n = gps.OffsetMs.Count;
            problem = SameLength("gps", n, gps.LatitudeDeg.Count, "latitude_deg")
                ?? SameLength("gps", n, gps.LongitudeDeg.Count, "longitude_deg")
                ?? SameLength("gps", n, gps.SpeedKmh.Count, "speed_kmh")
                ?? SameLength("gps", n, gps.HeadingDeg.Count, "heading_deg")
                ?? Offsets("gps", gps.OffsetMs)
                ?? InRange("gps.latitude_deg", gps.LatitudeDeg, -90, 90)
                ?? InRange("gps.longitude_deg", gps.LongitudeDeg, -180, 180)
                ?? InRange("gps.speed_kmh", gps.SpeedKmh, 0, 400)
                ?? InRange("gps.heading_deg", gps.HeadingDeg, 0, 360);
            readings += n;
        }

        ulong zones = 0;
        for (int i = 0; problem is null && i < batch.Temperatures.Count; i++)
        {
            var column = batch.Temperatures[i];
            string name = $"temperatures[{i}]";
            if (column.Zone is < 1 or > 8)
            {
                return BatchVerdict.Invalid($"{name}.zone {column.Zone} is not 1..8");
            }

            if ((zones & (1UL << (int)column.Zone)) != 0)
            {
                return BatchVerdict.Invalid($"{name}.zone {column.Zone} appears twice in the batch");
            }

            zones |= 1UL << (int)column.Zone;
            problem = SameLength(name, column.OffsetMs.Count, column.TemperatureC.Count, "temperature_c")
                ?? Offsets(name, column.OffsetMs)
                ?? InRange(name + ".temperature_c", column.TemperatureC, -100, 100);
            readings += column.OffsetMs.Count;
        }

        if (problem is null && batch.Fuel is { } fuel)
        {
            problem = SameLength("fuel", fuel.OffsetMs.Count, fuel.LevelPercent.Count, "level_percent")
                ?? Offsets("fuel", fuel.OffsetMs)
                ?? InRange("fuel.level_percent", fuel.LevelPercent, 0, 100)
                ?? (float.IsFinite(fuel.TankCapacityL) && fuel.TankCapacityL >= 0 ? null : $"fuel.tank_capacity_l {fuel.TankCapacityL} must be finite and >= 0");
            readings += fuel.OffsetMs.Count;
        }

        for (int i = 0; problem is null && i < batch.Scalars.Count; i++)
        {
            var column = batch.Scalars[i];
            string name = $"scalars[{i}]";
            if (column.Kind == ScalarKind.Unspecified || !Enum.IsDefined(column.Kind))
            {
                return BatchVerdict.Invalid($"{name}.kind {(int)column.Kind} is not a known ScalarKind");
            }

            if ((column.Kind == ScalarKind.Custom) != (column.Name.Length is > 0 and <= 64))
            {
                return BatchVerdict.Invalid($"{name}.name must be 1..64 characters for SCALAR_KIND_CUSTOM and empty otherwise");
            }

            problem = SameLength(name, column.OffsetMs.Count, column.Value.Count, "value")
                ?? Offsets(name, column.OffsetMs)
                ?? InRange(name + ".value", column.Value, float.MinValue, float.MaxValue);
            readings += column.OffsetMs.Count;
        }

        if (problem is not null)
        {
            return BatchVerdict.Invalid(problem);
        }

        return readings == 0 ? BatchVerdict.Invalid("the batch holds no readings") : BatchVerdict.Valid(readings);
    }

    private static string? SameLength(string column, int offsets, int values, string field) =>
        offsets == values ? null : $"{column}.{field} has {values} values but {column}.offset_ms has {offsets}";

    private static string? Offsets(string column, RepeatedField<uint> offsets)
    {
        for (int i = 1; i < offsets.Count; i++)
        {
            if (offsets[i] < offsets[i - 1])
            {
                return $"{column}.offset_ms goes backwards at index {i} ({offsets[i - 1]} then {offsets[i]})";
            }
        }

        return null;
    }

    private static string? InRange(string field, RepeatedField<double> values, double min, double max)
    {
        for (int i = 0; i < values.Count; i++)
        {
            double v = values[i];
            if (!(v >= min && v <= max))
            {
                return $"{field}[{i}] is {v}; it must be finite and within [{min}, {max}]";
            }
        }

        return null;
    }

    private static string? InRange(string field, RepeatedField<float> values, float min, float max)
    {
        for (int i = 0; i < values.Count; i++)
        {
            float v = values[i];
            if (!(v >= min && v <= max))
            {
                return $"{field}[{i}] is {v}; it must be finite and within [{min}, {max}]";
            }
        }

        return null;
    }
}
