using Confluent.Kafka;
using Convoy.Collector.Ingest;
using Convoy.Pki;

namespace Convoy.Collector.Tests;

public sealed class SequenceLedgersUnitTests
{
    private static readonly SequenceSpace Truck = new(new DeviceIdentity("acme", "truck-1"), "");

    [Fact]
    public void For_SameDeviceAndSender_IsOneLedger_AndADeviceOfAnotherTenantIsAnother()
    {
        var ledgers = new SequenceLedgers(new CollectorOptions());

        var ledger = ledgers.For(Truck);

        Assert.Same(ledger, ledgers.For(new SequenceSpace(new DeviceIdentity("acme", "truck-1"), "")));
        Assert.NotSame(ledger, ledgers.For(Truck with { Device = new DeviceIdentity("globex", "truck-1") }));
    }

    [Fact]
    public void For_APartnerWritingForTheDevice_HasItsOwnLedger_SoItsSequencesMoveNothingOfTheDevices()
    {
        var ledgers = new SequenceLedgers(new CollectorOptions());
        var partner = ledgers.For(Truck with { Sender = "partner:dispatch-app" });
        partner.Claim(1_000_000_000_000_000, new RecordedDeliveries(), 1);
        partner.OnDelivery(1_000_000_000_000_000, ErrorCode.NoError);

        var own = ledgers.For(Truck);

        Assert.Equal(0UL, own.Acked);
        Assert.Equal(BatchClaim.Write, own.Claim(1, new RecordedDeliveries(), 1));
    }

    [Fact]
    public void For_BeyondMaxTrackedDevices_ForgetsIdleDevices_ButNeverOneWithAWriteInFlight()
    {
        var ledgers = new SequenceLedgers(new CollectorOptions { MaxTrackedDevices = 1000 });
        var busy = ledgers.For(Truck);
        busy.Claim(1, new RecordedDeliveries(), 1);

        for (int i = 0; i <= 1000; i++)
        {
            ledgers.For(Truck with { Device = new DeviceIdentity("acme", $"other-{i}") }).Claim(1, new RecordedDeliveries(), 1);
            ledgers.For(Truck with { Device = new DeviceIdentity("acme", $"other-{i}") }).OnDelivery(1, ErrorCode.NoError);
        }

        Assert.InRange(ledgers.Count, 2, 1000);
        Assert.Same(busy, ledgers.For(Truck));
    }
}
