using Convoy.Collector.Authentication;
using Convoy.Collector.Validation;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;
using Google.Protobuf;
using Grpc.Core;

namespace Convoy.Collector.Tests;

public sealed class BatchValidatorUnitTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly AuthenticatedDevice Sender = new(new DeviceIdentity("acme", "truck-1"));
    private readonly BatchValidator _validator = new(new CollectorOptions());

    public static TheoryData<string, StatusCode, string> BadBatches => new()
    {
        { "other device", StatusCode.PermissionDenied, "device_id 'truck-2'" },
        { "empty device", StatusCode.PermissionDenied, "device_id is empty" },
        { "other tenant", StatusCode.PermissionDenied, "tenant_id 'globex'" },
        { "sequence 0", StatusCode.InvalidArgument, "sequence" },
        { "future", StatusCode.InvalidArgument, "in the future" },
        { "too old", StatusCode.InvalidArgument, "older than" },
        { "one temperature 49 days ahead", StatusCode.InvalidArgument, "temperatures[0].offset_ms[2] is 4233600000: that reading's time" },
        { "gps fix ahead", StatusCode.InvalidArgument, "gps.offset_ms[1] is 3600000" },
        { "fuel reading ahead", StatusCode.InvalidArgument, "fuel.offset_ms[2] is 600000" },
        { "scalar reading ahead", StatusCode.InvalidArgument, "scalars[0].offset_ms[0] is 1000000000" },
        { "no readings", StatusCode.InvalidArgument, "no readings" },
        { "unequal gps columns", StatusCode.InvalidArgument, "gps columns differ in length: offset_ms 2, latitude_deg 1" },
        { "offsets backwards", StatusCode.InvalidArgument, "temperatures[0].offset_ms goes backwards at index 1" },
        { "latitude out of range", StatusCode.InvalidArgument, "gps.latitude_deg[0] is 91" },
        { "heading 360", StatusCode.InvalidArgument, "gps.heading_deg[1] is 360; it must be finite and within [0, 360) (north is 0)" },
        { "NaN speed", StatusCode.InvalidArgument, "gps.speed_kmh[0] is NaN" },
        { "gateway-timed index past the fixes", StatusCode.InvalidArgument, "gps.gateway_timed[0] is 2; each must index one of the 2 fixes, in strictly ascending order" },
        { "gateway-timed indexes not ascending", StatusCode.InvalidArgument, "gps.gateway_timed[1] is 1; each must index" },
        { "NaN temperature", StatusCode.InvalidArgument, "temperatures[0].temperature_c[1] is NaN" },
        { "infinite fuel", StatusCode.InvalidArgument, "fuel.level_percent[0] is Infinity" },
        { "zone 9", StatusCode.InvalidArgument, "temperatures[0].zone 9" },
        { "zone twice", StatusCode.InvalidArgument, "zone 1 appears twice" },
        { "unknown scalar kind", StatusCode.InvalidArgument, "scalars[0].kind 0" },
        { "custom without name", StatusCode.InvalidArgument, "scalars[0].name" },
        { "window mean above max", StatusCode.InvalidArgument, "temperatures[0].windows[0]: needs min <= mean <= max" },
        { "window count 0", StatusCode.InvalidArgument, "temperatures[0].windows[0]: start_unix_ms must be > 0" },
        { "window columns unequal", StatusCode.InvalidArgument, "temperatures[0].windows: every column must have one value per window" },
        { "fuel window out of range", StatusCode.InvalidArgument, "fuel.windows[0]: min, max, mean and last must be finite and within [0, 100]" },
        { "scalar window NaN", StatusCode.InvalidArgument, "scalars[0].windows[0]: min, max, mean and last must be finite" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public void Validate_BadBatch_IsRefusedWithStatusAndTheFieldNamed(string defect, StatusCode expected, string named)
    {
        var batch = Defective(defect);

        var verdict = Validate(batch);

        Assert.False(verdict.IsValid);
        Assert.Equal(expected, verdict.Status);
        Assert.Contains(named, verdict.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GoodBatch_CountsEveryReading()
    {
        var verdict = Validate(Good());

        Assert.True(verdict.IsValid, verdict.Problem);
        Assert.Equal(2 + 3 + 3 + 1, verdict.Readings);
    }

    [Fact]
    public void Validate_GoodBatchWithWindowSummaries_AllocatesNothing()
    {
        byte[] payload = Good().ToByteArray();
        long nowMs = Now.ToUnixTimeMilliseconds();
        _validator.Validate(payload, Sender, nowMs, out _); // warm up

        const int Batches = 1000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        int readings = 0;
        for (int i = 0; i < Batches; i++)
        {
            readings += _validator.Validate(payload, Sender, nowMs, out _).Readings;
        }

        long perBatch = (GC.GetAllocatedBytesForCurrentThread() - before) / Batches;

        Assert.Equal(Batches * 9, readings);
        Assert.Equal(0, perBatch);
    }

    [Fact]
    public void Validate_ReadingAtExactlyTheAllowedSkew_IsAccepted_AndOneMillisecondLaterIsNot()
    {
        var batch = Good();
        long skew = (long)new CollectorOptions().MaxClockSkew.TotalMilliseconds;
        batch.Temperatures[0].OffsetMs[2] = (uint)(60_000 + skew); // base is a minute ago

        Assert.True(Validate(batch).IsValid);
        batch.Temperatures[0].OffsetMs[2]++;
        var verdict = Validate(batch);
        Assert.Equal(("reading-ahead", StatusCode.InvalidArgument), (verdict.Reason, verdict.Status));
        Assert.Contains("more than 00:05:00 ahead of the collector's clock (2026-11-23 12:00:00Z); check the device clock", verdict.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PartnersBatchForAnotherDevice_SaysWhichDeviceTheCallWritesFor_NotACertificate()
    {
        var partner = new AuthenticatedDevice(new DeviceIdentity("acme", "truck-1"))
        {
            Partner = new PartnerIdentity("acme", "route-planner", PartnerRoles.Ingest, Now.AddHours(1), KeyId: null),
        };
        var batch = Good();
        batch.DeviceId = "truck-2";

        var verdict = _validator.Validate(batch.ToByteArray(), partner, Now.ToUnixTimeMilliseconds(), out _);

        Assert.Equal(StatusCode.PermissionDenied, verdict.Status);
        Assert.Equal("device_id 'truck-2' is not the device this partner call writes for ('truck-1', named in the convoy-device header)", verdict.Problem);
    }

    [Fact]
    public void Validate_TenantLeftEmpty_IsTakenFromTheCertificate()
    {
        var batch = Good();
        batch.TenantId = string.Empty;

        Assert.True(Validate(batch).IsValid);
    }

    private BatchVerdict Validate(TelemetryBatch batch) =>
        _validator.Validate(batch.ToByteArray(), Sender, Now.ToUnixTimeMilliseconds(), out _);

    private static TelemetryBatch Good()
    {
        long now = Now.ToUnixTimeMilliseconds();
        var batch = new TelemetryBatch { TenantId = "acme", DeviceId = "truck-1", Sequence = 7, BaseTimeUnixMs = now - 60_000 };
        batch.Gps = new GpsColumns();
        batch.Gps.OffsetMs.Add([0, 1000]);
        batch.Gps.LatitudeDeg.Add([52.1, 52.2]);
        batch.Gps.LongitudeDeg.Add([4.1, 4.2]);
        batch.Gps.SpeedKmh.Add([80f, 81f]);
        batch.Gps.HeadingDeg.Add([90f, 359.9f]);
        var zone = new TemperatureColumns { Zone = 1 };
        zone.OffsetMs.Add([0, 1000, 2000]);
        zone.TemperatureC.Add([2.5f, 2.6f, -0f]);
        // The summary of the minute these readings were reduced from (Window mode on the truck).
        zone.Windows = new WindowColumns
        {
            StartUnixMs = { (now - 60_000) / 60_000 * 60_000 },
            LengthMs = { 60_000 },
            Count = { 60 },
            Min = { -0f },
            Max = { 2.6f },
            Mean = { 1.9f },
            Last = { -0f },
        };
        batch.Temperatures.Add(zone);
        batch.Fuel = new FuelColumns { TankCapacityL = 600 };
        batch.Fuel.OffsetMs.Add([0, 500, 500]);
        batch.Fuel.LevelPercent.Add([55f, 55f, 54.9f]);
        var door = new ScalarColumns { Kind = ScalarKind.ReeferDoorOpen };
        door.OffsetMs.Add(0);
        door.Value.Add(1f);
        batch.Scalars.Add(door);
        return batch;
    }

    private static TelemetryBatch Defective(string defect)
    {
        var batch = Good();
        long now = Now.ToUnixTimeMilliseconds();
        switch (defect)
        {
            case "other device": batch.DeviceId = "truck-2"; break;
            case "empty device": batch.DeviceId = string.Empty; break;
            case "other tenant": batch.TenantId = "globex"; break;
            case "sequence 0": batch.Sequence = 0; break;
            case "future": batch.BaseTimeUnixMs = now + (long)TimeSpan.FromMinutes(6).TotalMilliseconds; break;
            case "too old": batch.BaseTimeUnixMs = now - (long)TimeSpan.FromDays(31).TotalMilliseconds; break;
            case "one temperature 49 days ahead": batch.Temperatures[0].OffsetMs[2] = 49 * 86_400_000u; break; // base a minute ago: a plausible batch
            case "gps fix ahead": batch.Gps.OffsetMs[1] = 3_600_000; break;
            case "fuel reading ahead": batch.Fuel.OffsetMs[2] = 600_000; break; // 9 minutes ahead, the skew is 5
            case "scalar reading ahead": batch.Scalars[0].OffsetMs[0] = 1_000_000_000; break;
            case "no readings":
                batch.Gps = null;
                batch.Temperatures.Clear();
                batch.Fuel = null;
                batch.Scalars.Clear();
                break;
            case "unequal gps columns": batch.Gps.LatitudeDeg.RemoveAt(1); break;
            case "offsets backwards": batch.Temperatures[0].OffsetMs[1] = 0; batch.Temperatures[0].OffsetMs[0] = 5; break;
            case "latitude out of range": batch.Gps.LatitudeDeg[0] = 91; break;
            case "heading 360": batch.Gps.HeadingDeg[1] = 360f; break;
            case "NaN speed": batch.Gps.SpeedKmh[0] = float.NaN; break;
            case "gateway-timed index past the fixes": batch.Gps.GatewayTimed.Add(2); break;
            case "gateway-timed indexes not ascending": batch.Gps.GatewayTimed.Add([1, 1]); break;
            case "NaN temperature": batch.Temperatures[0].TemperatureC[1] = float.NaN; break;
            case "infinite fuel": batch.Fuel.LevelPercent[0] = float.PositiveInfinity; break;
            case "zone 9": batch.Temperatures[0].Zone = 9; break;
            case "zone twice": batch.Temperatures.Add(batch.Temperatures[0].Clone()); break;
            case "unknown scalar kind": batch.Scalars[0].Kind = ScalarKind.Unspecified; break;
            case "custom without name": batch.Scalars[0].Kind = ScalarKind.Custom; break;
            case "window mean above max": batch.Temperatures[0].Windows.Mean[0] = 3f; break;
            case "window count 0": batch.Temperatures[0].Windows.Count[0] = 0; break;
            case "window columns unequal": batch.Temperatures[0].Windows.Last.Add(1f); break;
            case "fuel window out of range":
                batch.Fuel.Windows = new WindowColumns { StartUnixMs = { now - 60_000 }, LengthMs = { 60_000 }, Count = { 2 }, Min = { 55f }, Max = { 101f }, Mean = { 60f }, Last = { 55f } };
                break;
            case "scalar window NaN":
                batch.Scalars[0].Windows = new WindowColumns { StartUnixMs = { now - 60_000 }, LengthMs = { 60_000 }, Count = { 2 }, Min = { 0f }, Max = { 1f }, Mean = { float.NaN }, Last = { 1f } };
                break;
            default: throw new ArgumentOutOfRangeException(nameof(defect), defect, null);
        }

        return batch;
    }
}
