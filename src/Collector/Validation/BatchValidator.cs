using System.Text;
using Convoy.Collector.Authentication;
using Convoy.Contracts.Telemetry;

namespace Convoy.Collector.Validation;

/// <summary>
/// Checks a batch, read in place, against who sent it (<see cref="Identity"/>: whose batch it is)
/// and then against the contract in telemetry.proto (<see cref="BatchCheck"/>, the same check the
/// edge agent runs before a batch enters its buffer). A batch is all or nothing: one bad reading
/// refuses the whole batch, so nothing half-valid reaches Kafka. The valid path allocates nothing
/// (every check returns a struct); only a refusal builds its message.
/// </summary>
internal sealed class BatchValidator
{
    private readonly BatchCheck _content;

    public BatchValidator(CollectorOptions options) => _content = new BatchCheck(options.MaxClockSkew, options.MaxBatchAge, "the collector's clock");

    /// <summary>Reads and validates an encoded batch.</summary>
    public BatchVerdict Validate(ReadOnlySpan<byte> payload, AuthenticatedDevice sender, long nowMs, out ulong sequence)
    {
        sequence = 0;
        if (!BatchView.TryRead(payload, out var batch, out string? problem))
        {
            return BatchVerdict.Invalid(RefusalReasons.Malformed, problem!);
        }

        sequence = batch.Sequence;
        return Validate(batch, sender, nowMs);
    }

    public BatchVerdict Validate(in BatchView batch, AuthenticatedDevice sender, long nowMs)
    {
        if (Identity(batch, sender) is { } notTheSenders)
        {
            return notTheSenders;
        }

        var content = _content.Check(batch, nowMs);
        return content.IsValid ? BatchVerdict.Valid(content.Readings) : BatchVerdict.Invalid(content.Reason!, content.Problem!);
    }

    /// <summary>Whose batch it is: the sender's tenant and device, and a sequence that can be one.</summary>
    private static BatchVerdict? Identity(in BatchView batch, AuthenticatedDevice sender)
    {
        if (!batch.TenantId.IsEmpty && !batch.TenantId.SequenceEqual(sender.TenantUtf8))
        {
            return BatchVerdict.Denied(sender.Partner is null
                ? $"tenant_id '{Text(batch.TenantId)}' is not the tenant of this device's certificate ('{sender.Tenant}')"
                : $"tenant_id '{Text(batch.TenantId)}' is not the tenant of this partner token ('tid' {sender.Tenant})", RefusalReasons.WrongTenant);
        }

        if (!batch.DeviceId.SequenceEqual(sender.DeviceUtf8))
        {
            return BatchVerdict.Denied(batch.DeviceId.IsEmpty
                ? "device_id is empty; it must name this device"
                : sender.Partner is null
                    ? $"device_id '{Text(batch.DeviceId)}' is not the device of this certificate ('{sender.Device}')"
                    : $"device_id '{Text(batch.DeviceId)}' is not the device this partner call writes for ('{sender.Device}', named in the convoy-device header)", RefusalReasons.WrongDevice);
        }

        if (batch.Sequence == 0)
        {
            return BatchVerdict.Invalid(RefusalReasons.SequenceZero, "sequence must start at 1");
        }

        return null;
    }

    private static string Text(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
