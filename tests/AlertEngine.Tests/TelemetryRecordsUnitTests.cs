using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Convoy.AlertEngine.Consumption;
using Convoy.AlertEngine.Evaluation;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;

namespace Convoy.AlertEngine.Tests;

/// <summary>The engine acts on a record only on the word of the collector's headers, only for the tenant whose topic it is in, and only for a device it names.</summary>
public sealed class TelemetryRecordsUnitTests
{
    [Theory]
    [InlineData("telemetry.acme", "acme", true)]
    [InlineData("telemetry.acme", "globex", false)]
    [InlineData("telemetry.acmex", "acme", false)]
    [InlineData("telemetry.acm", "acme", false)]
    [InlineData("telemetry.", "acme", false)]
    [InlineData("fleet-telemetry", "acme", true)] // a shared topic: the header alone names the tenant
    public void TryRead_TenantHeaderAgainstTopic(string topic, string tenant, bool accepted)
    {
        var record = Record(topic, ("convoy-tenant", Encoding.UTF8.GetBytes(tenant)), ("convoy-received-ms", BigEndian(1_700_000_000_123)));

        bool read = TelemetryRecords.TryRead(record, out string readTenant, out var source, out string? problem);

        Assert.Equal(accepted, read);
        if (accepted)
        {
            Assert.Equal(tenant, readTenant);
            Assert.Equal(1_700_000_000_123, source.ReceivedAtMs);
            Assert.Null(source.Sender);
            Assert.Null(problem);
        }
        else
        {
            Assert.Equal("its tenant header does not match the topic", problem);
        }
    }

    [Fact]
    public void TryRead_NoTenantHeader_IsRefusedWithTheReason()
    {
        var record = Record("telemetry.acme", ("convoy-sender", "partner:route-planner"u8.ToArray()));

        Assert.False(TelemetryRecords.TryRead(record, out _, out _, out string? problem));
        Assert.Equal("it has no convoy-tenant header", problem);
    }

    [Fact]
    public void TryRead_PartnerSender_IsTheSource()
    {
        var record = Record("telemetry.acme", ("convoy-tenant", "acme"u8.ToArray()), ("convoy-sender", "partner:route-planner"u8.ToArray()));

        Assert.True(TelemetryRecords.TryRead(record, out _, out var source, out _));
        Assert.Equal("partner:route-planner", source.Sender);
    }

    [Theory]
    [InlineData(0)]   // a tombstone's empty value
    [InlineData(12)]  // a batch with readings but no device id
    public void Offer_ARecordThatNamesNoDevice_IsUnreadableAndKeepsNoState(int readings)
    {
        var kit = new RuleTestKit("rules: []");
        var batch = new TelemetryBatch { Sequence = 1, BaseTimeUnixMs = RuleTestKit.Base };
        if (readings > 0)
        {
            batch = BatchBuilder.For("", 1).StartingAt(RuleTestKit.Base).Temperatures(1, readings, _ => 4f);
        }

        var outcome = kit.Evaluator.Offer(kit.Tenant, batch.ToByteArray(), new RecordPosition("telemetry.acme", 0, 7), kit.Alerts, kit.Released, out _, out string? problem);

        Assert.Equal(BatchOutcome.Unreadable, outcome);
        Assert.Equal("it names no device (device_id is empty)", problem);
        Assert.Equal(0, kit.Evaluator.DeviceCount);
    }

    [Theory]
    [InlineData("telemetry.acme", "acme", true)]
    [InlineData("telemetry.acme", "acm", false)]
    [InlineData("alerts.acme", "acme", false)]
    [InlineData("telemetry.ACME", "acme", false)]
    public void IsTelemetryTopicOf_IsTheTopicTelemetryTopicNames(string topic, string tenant, bool expected)
    {
        Assert.Equal(expected, TelemetryRecordHeaders.IsTelemetryTopicOf(topic, tenant));
        Assert.Equal(expected, topic == TelemetryRecordHeaders.TelemetryTopic(tenant));
    }

    private static ConsumeResult<Ignore, byte[]> Record(string topic, params (string Key, byte[] Value)[] headers)
    {
        var message = new Message<Ignore, byte[]> { Value = [], Headers = [] };
        foreach (var (key, value) in headers)
        {
            message.Headers.Add(key, value);
        }

        return new ConsumeResult<Ignore, byte[]> { Topic = topic, Partition = 0, Offset = 0, Message = message };
    }

    private static byte[] BigEndian(long value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }
}
