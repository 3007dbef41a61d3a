using Convoy.Collector.Ingest;
using Convoy.Pki;

namespace Convoy.Collector.Tests;

public sealed class DeviceHighWaterMarksUnitTests
{
    private static readonly DeviceIdentity Truck = new("acme", "truck-1");

    [Fact]
    public void Get_DeviceNeverAcknowledged_IsZero()
    {
        var marks = new DeviceHighWaterMarks(new CollectorOptions());

        Assert.Equal(0UL, marks.Get(Truck));
    }

    [Fact]
    public void Advance_OnlyEverMovesForward()
    {
        var marks = new DeviceHighWaterMarks(new CollectorOptions());

        marks.Advance(Truck, 7);
        marks.Advance(Truck, 3);

        Assert.Equal(7UL, marks.Get(Truck));
    }

    [Fact]
    public void Advance_SameDeviceIdInAnotherTenant_IsAnotherDevice()
    {
        var marks = new DeviceHighWaterMarks(new CollectorOptions());

        marks.Advance(Truck, 7);

        Assert.Equal(0UL, marks.Get(new DeviceIdentity("globex", "truck-1")));
    }

    [Fact]
    public void Advance_BeyondMaxTrackedDevices_ForgetsSomeToStayWithinIt()
    {
        var marks = new DeviceHighWaterMarks(new CollectorOptions { MaxTrackedDevices = 1000 });

        for (int i = 0; i <= 1000; i++)
        {
            marks.Advance(new DeviceIdentity("acme", $"truck-{i}"), 1);
        }

        Assert.InRange(marks.Count, 1, 1000);
    }
}
