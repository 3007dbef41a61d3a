using Confluent.Kafka;
using Convoy.Collector.Ingest;
using Convoy.Pki;

namespace Convoy.Collector.Tests;

public sealed class SequenceLedgersUnitTests
{
    private static readonly DeviceIdentity Truck = new("acme", "truck-1");

    [Fact]
    public void For_SameDevice_IsOneLedger_AndADeviceOfAnotherTenantIsAnother()
    {
        var ledgers = new SequenceLedgers(new CollectorOptions());

        var ledger = ledgers.For(Truck);

        Assert.Same(ledger, ledgers.For(new DeviceIdentity("acme", "truck-1")));
        Assert.NotSame(ledger, ledgers.For(new DeviceIdentity("globex", "truck-1")));
    }

    [Fact]
    public void For_BeyondMaxTrackedDevices_ForgetsIdleDevices_ButNeverOneWithAWriteInFlight()
    {
        var ledgers = new SequenceLedgers(new CollectorOptions { MaxTrackedDevices = 1000 });
        var busy = ledgers.For(Truck);
        busy.Claim(1, new RecordedDeliveries(), 1);

        for (int i = 0; i <= 1000; i++)
        {
            ledgers.For(new DeviceIdentity("acme", $"other-{i}")).Claim(1, new RecordedDeliveries(), 1);
            ledgers.For(new DeviceIdentity("acme", $"other-{i}")).OnDelivery(1, ErrorCode.NoError);
        }

        Assert.InRange(ledgers.Count, 2, 1000);
        Assert.Same(busy, ledgers.For(Truck));
    }
}
