using Convoy.AlertEngine;
using Convoy.Kafka.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Convoy.TestKit;

/// <summary>
/// A real alert engine on an embedded Kafka (usually a <see cref="TestCollector"/>'s). It joins a
/// consumer group of its own unless the switches name one, with a short session so that a second
/// engine of the same group is not kept waiting when the first one leaves. Disposing stops it and
/// fails the test when it logged an error the test did not expect.
/// </summary>
public sealed class TestAlertEngine : IAsyncDisposable
{
    private bool _stopped;

    private TestAlertEngine(IHost host, TestLogs logs)
    {
        Host = host;
        Logs = logs;
    }

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    /// <summary>The engine's operations port (http://127.0.0.1:port/: /metrics, /healthz, /readyz).</summary>
    public Uri MetricsAddress => AlertEngineHost.MetricsAddress(Host) ?? throw new InvalidOperationException("the engine was started with its operations port off");

    /// <summary>What the engine logged.</summary>
    public TestLogs Logs { get; }

    /// <summary>Starts an engine reading from <paramref name="kafka"/>, on <paramref name="time"/> (the system clock when null), with the extra switches.</summary>
    public static async Task<TestAlertEngine> StartAsync(EmbeddedKafkaCluster kafka, TimeProvider? time = null, params string[] switches)
    {
        string[] args = ["--Kafka:ConsumerProperties:session.timeout.ms=6000", "--AlertEngine:MetricsPort=0", .. switches];
        if (!switches.Any(s => s.StartsWith("--AlertEngine:GroupId=", StringComparison.Ordinal)))
        {
            args = [.. args, "--AlertEngine:GroupId=test-" + Guid.NewGuid().ToString("N")];
        }

        var logs = new TestLogs();
        var host = AlertEngineHost.Build(args, services =>
        {
            services.AddSingleton(kafka).AddSingleton(logs.Provider);
            if (time is not null)
            {
                services.AddSingleton(time);
            }
        });
        await host.StartAsync();
        return new TestAlertEngine(host, logs);
    }

    /// <summary>Stops the engine (it leaves its consumer group), keeping it for inspection until disposed.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await Host.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Host.Dispose();
        Logs.AssertNoUnexpectedErrors();
        Logs.Dispose();
    }
}
