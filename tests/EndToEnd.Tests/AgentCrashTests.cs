using Convoy.EdgeAgent;
using Convoy.EdgeAgent.Buffering;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Power cuts, as the agent sees them: the real agent program is killed with SIGKILL at random
/// moments while it writes its buffer and streams, a hundred times over, and restarted each time.
/// Afterwards the buffer opens, everything is delivered, and no sequence was ever used for two
/// different batches, so consumers de-duplicating by (device, sequence) lose nothing.
/// </summary>
public sealed class AgentCrashTests : IAsyncLifetime
{
    private const string Tenant = "crash-co";
    private const string Device = "rig-1";
    private const int Kills = 100;
    private readonly ITestOutputHelper _output;
    private TestCollector _collector = null!;

    public AgentCrashTests(ITestOutputHelper output) => _output = output;

    private string BufferFolder => Path.Combine(_collector.Folder, "buffer");

    public async Task InitializeAsync()
    {
        _collector = await TestCollector.StartAsync([Tenant], "--Collector:MaxBatchAge=3650.00:00:00");
        _collector.Certificates.EnsureDevice(new DeviceIdentity(Tenant, Device));
    }

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public async Task AgentKilledAtRandomPointsAHundredTimes_BufferOpens_EverythingArrives_NoSequenceReused()
    {
        int seed = Environment.TickCount;
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        int tornTails = 0;
        using var acknowledged = _collector.Metric("convoy.collector.batches.acknowledged");
        long Acknowledged() => acknowledged.GetMeasurementSnapshot().Sum(m => m.Value);
        for (int kill = 1; kill <= Kills; kill++)
        {
            // Each run replays the receiver capture as fast as it can: a burst of appends (each
            // fsynced) while the uplink streams and the acks come back.
            long before = Acknowledged();
            using var agent = StartAgent();
            // Kill it while it works, however slowly this machine starts it: once the collector has
            // acknowledged a batch of it (it has read, buffered and sent), then at a random point after that.
            await Eventually.HoldsAsync(() => agent.Process.HasExited || Acknowledged() > before, TimeSpan.FromSeconds(60),
                $"run {kill}: the agent to send a batch");
            await Task.Delay(random.Next(0, 1000));
            Assert.False(agent.Process.HasExited, $"run {kill}: the agent exited by itself (code {(agent.Process.HasExited ? agent.Process.ExitCode : 0)}):\n{agent.Output}");
            agent.Process.Kill(); // SIGKILL: no shutdown code runs
            await agent.Process.WaitForExitAsync();
            Assert.Equal(137, agent.Process.ExitCode); // 128 + SIGKILL: it was running, and died by the kill
            foreach (var report in DurableBatchLog.CheckAll(BufferFolder))
            {
                tornTails += report.TornTails;
            }
        }

        // The truck runs on, with nothing new to send, until its buffer is empty.
        string nothing = Path.Combine(_collector.Folder, "no-fixes.nmea");
        await File.WriteAllTextAsync(nothing, "# the receiver has nothing more\n");
        using var last = EdgeAgentHost.Build([.. AgentArguments(nothing)]);
        await last.StartAsync();
        var buffer = last.Services.GetRequiredService<DeviceRegistry>().All[0].Buffer;
        await Eventually.HoldsAsync(() => buffer.Count == 0 && buffer.Acked == buffer.LastSequence, TimeSpan.FromSeconds(60),
            "the restarted agent to deliver everything it kept");
        ulong lastSequence = buffer.LastSequence;
        await last.StopAsync();

        var records = _collector.Telemetry(Tenant);
        var bySequence = records.GroupBy(KafkaTopics.Sequence).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (sequence, copies) in bySequence)
        {
            // A sequence written twice must be the same batch twice (a resend), never two batches.
            Assert.All(copies, c => Assert.Equal(copies[0].Message.Value, c.Message.Value));
            Assert.InRange(sequence, 1UL, lastSequence);
        }

        long missing = (long)lastSequence - bySequence.Count;
        _output.WriteLine($"{Kills} kills: {lastSequence} batches made, {records.Count} records in Kafka, {records.Count - bySequence.Count} resent duplicates, " +
            $"{missing} sequences missing, {tornTails} torn buffer tails found after kills");
        // Every run was killed after it had sent something, so each made batches of its own.
        Assert.True(lastSequence >= Kills, $"the runs made {lastSequence} batches: fewer than one a run");
        // A sequence is missing only where a kill tore the record it was being written into
        // (that batch was never complete, so never sent); everything else arrived.
        Assert.InRange(missing, 0, tornTails);
    }

    private List<string> AgentArguments(string nmea) =>
    [
        $"--EdgeAgent:Collectors:0={_collector.Address}",
        "--EdgeAgent:DevCertificates=true",
        $"--EdgeAgent:CertificatesFolder={_collector.Folder}",
        $"--EdgeAgent:Device:Tenant={Tenant}",
        $"--EdgeAgent:Device:Id={Device}",
        "--EdgeAgent:Device:BatchSpan=00:00:01",
        "--EdgeAgent:Nmea:Source=File",
        "--EdgeAgent:MaxBatchAge=3650.00:00:00", // the capture is years old
        $"--EdgeAgent:Nmea:Path={nmea}",
        "--EdgeAgent:Nmea:Pacing=AsFastAsPossible",
        $"--EdgeAgent:Buffer:Folder={BufferFolder}",
        "--EdgeAgent:Buffer:FsyncPolicy=EveryBatch",
        "--EdgeAgent:ReconnectDelay=00:00:00.1",
        "--Logging:LogLevel:Default=Warning",
    ];

    private ProgramProcess StartAgent() => ProgramProcess.Agent(AgentArguments(TestData.NmeaCapture("quectel-l76k-nmea.log")));
}
