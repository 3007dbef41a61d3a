using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;

namespace Convoy.AlertEngine.Load;

/// <summary>
/// The simulated fleet's telemetry records, written as the collector writes them: the encoded
/// <see cref="TelemetryBatch"/> bytes, keyed by device, with the collector's record headers, by one
/// idempotent acks=all producer with the collector's settings. Each batch holds
/// <see cref="ReadingsPerBatch"/> readings (10 each of GPS, reefer zones 1 and 2, fuel, humidity,
/// battery voltage, one per second of event time). Probe batches drop the battery under the
/// probe rule's limit (it fires), the batch after a probe brings it back (it resolves); the time
/// each of those batches is acknowledged is kept, keyed by (device, sequence), for the latency.
/// </summary>
internal sealed class FleetTelemetry : IDisposable
{
    public const int ReadingsPerSensor = 10;
    public const int ReadingsPerBatch = ReadingsPerSensor * 6;
    private static readonly byte[] SchemaV1 = Encoding.UTF8.GetBytes(TelemetryRecordHeaders.SchemaTelemetryV1);
    private readonly IProducer<string, byte[]> _producer;
    private readonly Truck[] _trucks;
    private readonly int _probeEvery;
    private readonly Action<DeliveryReport<string, byte[]>> _delivered;
    private long _next;
    private long _failed;

    public FleetTelemetry(string bootstrapServers, int tenants, int devices, int probeEvery)
    {
        _probeEvery = probeEvery;
        _producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            // The collector's producer settings (KafkaCluster.CreateProducerConfig).
            BootstrapServers = bootstrapServers,
            ClientId = "convoy-engine-load",
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 5,
            CompressionType = CompressionType.Lz4,
            QueueBufferingMaxMessages = 1_000_000,
        }).SetLogHandler((_, _) => { }).Build();
        long start = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds();
        _trucks = new Truck[devices];
        for (int i = 0; i < devices; i++)
        {
            _trucks[i] = new Truck($"fleet-{i % tenants}", $"truck-{i:D5}", i, start);
        }

        _delivered = report =>
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref _failed);
            }
        };
    }

    /// <summary>Acknowledgement times (<see cref="Stopwatch"/> ticks) of probe batches and the batches resolving them, by <see cref="Key"/>.</summary>
    public ConcurrentDictionary<long, long> ProbeAcks { get; } = new();

    /// <summary>Batches handed to the producer so far.</summary>
    public long Produced => Volatile.Read(ref _next);

    public long Failed => Interlocked.Read(ref _failed);

    public static long Key(int device, ulong sequence) => ((long)device << 40) | (long)sequence;

    public static int DeviceIndex(string deviceId) => int.Parse(deviceId.AsSpan("truck-".Length), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Writes the next batch, round robin over the devices; false when the producer's queue is full.</summary>
    public bool ProduceNext()
    {
        var truck = _trucks[_next % _trucks.Length];
        ulong sequence = truck.Sequence + 1;
        // Probes are staggered over the devices so the alerts arrive evenly.
        long phase = ((long)sequence + truck.Index) % _probeEvery;
        bool probe = phase == 0;
        bool resolving = phase == 1 && sequence > 1;
        var batch = truck.Next(sequence, probe);
        var headers = new Headers
        {
            { TelemetryRecordHeaders.Tenant, truck.TenantUtf8 },
            { TelemetryRecordHeaders.Device, truck.DeviceUtf8 },
            { TelemetryRecordHeaders.Sequence, BigEndian(sequence) },
            { TelemetryRecordHeaders.Schema, SchemaV1 },
            { TelemetryRecordHeaders.ReceivedAt, BigEndian((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) },
        };
        var message = new Message<string, byte[]> { Key = truck.Device, Value = batch.ToByteArray(), Headers = headers };
        try
        {
            if (probe || resolving)
            {
                long key = Key(truck.Index, sequence);
                _producer.Produce(truck.Topic, message, report =>
                {
                    if (report.Error.IsError)
                    {
                        Interlocked.Increment(ref _failed);
                        return;
                    }

                    ProbeAcks[key] = Stopwatch.GetTimestamp();
                });
            }
            else
            {
                _producer.Produce(truck.Topic, message, _delivered);
            }
        }
        catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
        {
            return false;
        }

        truck.Sequence = sequence;
        Volatile.Write(ref _next, _next + 1);
        return true;
    }

    private static byte[] BigEndian(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return bytes;
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }

    /// <summary>
    /// One truck: a reefer with two zones driving at about 80 km/h near Utrecht (inside no fence but
    /// the EU), steady temperatures, humidity and battery, so no rule but the probe ever fires.
    /// </summary>
    private sealed class Truck
    {
        private readonly TelemetryBatch _batch;
        private long _baseMs;

        public Truck(string tenant, string device, int index, long startMs)
        {
            Tenant = tenant;
            Device = device;
            Index = index;
            Topic = TelemetryRecordHeaders.TelemetryTopic(tenant);
            TenantUtf8 = Encoding.UTF8.GetBytes(tenant);
            DeviceUtf8 = Encoding.UTF8.GetBytes(device);
            _baseMs = startMs;
            var random = new Random(index);
            _batch = new TelemetryBatch { DeviceId = device, Gps = new GpsColumns(), Fuel = new FuelColumns { TankCapacityL = 600 } };
            var zone1 = new TemperatureColumns { Zone = 1 };
            var zone2 = new TemperatureColumns { Zone = 2 };
            var humidity = new ScalarColumns { Kind = ScalarKind.HumidityPercent };
            var battery = new ScalarColumns { Kind = ScalarKind.BatteryVoltageV };
            double lat = 52.05 + (random.NextDouble() * 0.1), lon = 5.05 + (random.NextDouble() * 0.1);
            for (int i = 0; i < ReadingsPerSensor; i++)
            {
                uint offset = (uint)i * 1000;
                _batch.Gps.OffsetMs.Add(offset);
                _batch.Gps.LatitudeDeg.Add(lat + (i * 2e-4));
                _batch.Gps.LongitudeDeg.Add(lon + (i * 2e-4));
                _batch.Gps.SpeedKmh.Add(78 + (float)random.NextDouble() * 4);
                _batch.Gps.HeadingDeg.Add(45);
                zone1.OffsetMs.Add(offset);
                zone1.TemperatureC.Add(3.5f);
                zone2.OffsetMs.Add(offset);
                zone2.TemperatureC.Add(-18f);
                _batch.Fuel.OffsetMs.Add(offset);
                _batch.Fuel.LevelPercent.Add(60f - (i * 0.01f));
                humidity.OffsetMs.Add(offset);
                humidity.Value.Add(80f);
                battery.OffsetMs.Add(offset);
                battery.Value.Add(12.6f);
            }

            _batch.Temperatures.Add(zone1);
            _batch.Temperatures.Add(zone2);
            _batch.Scalars.Add(humidity);
            _batch.Scalars.Add(battery);
        }

        public string Tenant { get; }

        public string Device { get; }

        public int Index { get; }

        public string Topic { get; }

        public byte[] TenantUtf8 { get; }

        public byte[] DeviceUtf8 { get; }

        public ulong Sequence { get; set; }

        /// <summary>The batch of <paramref name="sequence"/>: the next 10 s of event time; a probe's battery readings are all under the probe rule's limit.</summary>
        public TelemetryBatch Next(ulong sequence, bool probe)
        {
            _batch.Sequence = sequence;
            _batch.BaseTimeUnixMs = _baseMs;
            _baseMs += ReadingsPerSensor * 1000;
            var battery = _batch.Scalars[1].Value;
            for (int i = 0; i < battery.Count; i++)
            {
                battery[i] = probe ? 11.0f : 12.6f;
            }

            return _batch;
        }
    }
}
