using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Convoy.TestKit;

/// <summary>Which broker a <see cref="MqttTestBroker"/> runs.</summary>
public enum MqttBrokerKind
{
    /// <summary>Debian's <c>mosquitto</c>, as on a gateway: a separate process, killed to drop every connection at once.</summary>
    Mosquitto,

    /// <summary>MQTTnet's broker inside the test process, for a machine with only the .NET SDK.</summary>
    InProcess,
}

/// <summary>
/// An MQTT broker on 127.0.0.1 and a free port for the edge agent's MQTT input, stopped and
/// restarted on the same port on demand. A real Mosquitto where it is installed; otherwise MQTTnet's
/// in-process broker, so the README's test command passes with the .NET SDK alone. CI installs
/// Mosquitto and sets <see cref="RequireMosquittoVariable"/>=1, which turns a missing Mosquitto into
/// a failure, so the real-broker path runs in every CI run.
/// </summary>
public abstract class MqttTestBroker : IAsyncDisposable
{
    /// <summary>Set to 1 to fail, not fall back, when Mosquitto is not installed.</summary>
    public const string RequireMosquittoVariable = "CONVOY_REQUIRE_MOSQUITTO";

    private protected MqttTestBroker(int port) => Port = port;

    public int Port { get; }

    public abstract MqttBrokerKind Kind { get; }

    /// <summary>What the broker printed, for failure messages.</summary>
    public abstract string Output { get; }

    /// <summary>Mosquitto when installed, else the in-process broker (or a failure, when <see cref="RequireMosquittoVariable"/> is 1).</summary>
    public static async Task<MqttTestBroker> StartAsync()
    {
        string? mosquitto = MosquittoTestBroker.Find();
        if (mosquitto is null)
        {
            Assert.False(Environment.GetEnvironmentVariable(RequireMosquittoVariable) == "1",
                $"{RequireMosquittoVariable}=1 but mosquitto is not installed: run `apt-get install -y mosquitto` (.ci/run does).");
            return await StartInProcessAsync();
        }

        var broker = new MosquittoTestBroker(mosquitto, LoopbackPorts.Free());
        await broker.RestartAsync();
        return broker;
    }

    /// <summary>MQTTnet's broker in this process, whatever is installed.</summary>
    public static async Task<MqttTestBroker> StartInProcessAsync()
    {
        var broker = new InProcessMqttBroker(LoopbackPorts.Free());
        await broker.RestartAsync();
        return broker;
    }

    /// <summary>Stops the broker: every client connection drops, as when the gateway's broker crashes.</summary>
    public abstract Task StopAsync();

    /// <summary>Starts the broker (again, on the same port) and waits until it accepts connections.</summary>
    public abstract Task RestartAsync();

    /// <summary>A connected publishing client (MQTTnet), as a reefer controller or CAN bridge would be.</summary>
    public async Task<IMqttClient> ConnectPublisherAsync(string clientId = "test-publisher")
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Port).WithClientId(clientId).Build());
        return client;
    }

    public static Task PublishAsync(IMqttClient publisher, string topic, string payload) =>
        publisher.PublishStringAsync(topic, payload, MqttQualityOfServiceLevel.AtLeastOnce);

    public virtual async ValueTask DisposeAsync()
    {
        await StopAsync();
        GC.SuppressFinalize(this);
    }

    private protected async Task WaitUntilListeningAsync(Func<string?> failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            string? failed = failure();
            Assert.True(failed is null, failed);
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}

/// <summary>Debian's Mosquitto from a generated configuration in a temporary folder; killed to stop.</summary>
internal sealed class MosquittoTestBroker : MqttTestBroker
{
    private static readonly string[] Candidates = ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/bin/mosquitto"];

    private readonly string _executable;
    private readonly TempFolder _folder = new("mosquitto");
    private readonly string _config;
    private readonly StringBuilder _output = new();
    private Process? _process;

    public MosquittoTestBroker(string executable, int port)
        : base(port)
    {
        _executable = executable;
        _config = _folder.File("mosquitto.conf");
        File.WriteAllText(_config, $"""
            listener {port} 127.0.0.1
            allow_anonymous true
            persistence false
            log_dest stderr
            log_type error
            log_type warning
            log_type notice

            """);
    }

    public override MqttBrokerKind Kind => MqttBrokerKind.Mosquitto;

    public override string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string? Find() => InstalledPrograms.Find("mosquitto", Candidates);

    public override async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    public override async Task RestartAsync()
    {
        await StopAsync();
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(_executable, ["-c", _config])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            },
        };
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;
        await WaitUntilListeningAsync(() => process.HasExited ? $"mosquitto exited with code {process.ExitCode}: {Output}" : null);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _folder.Dispose();
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

/// <summary>MQTTnet's broker in the test process, without persistence (as the Mosquitto configuration above).</summary>
internal sealed class InProcessMqttBroker(int port) : MqttTestBroker(port)
{
    private readonly StringBuilder _output = new();
    private MqttServer? _server;

    public override MqttBrokerKind Kind => MqttBrokerKind.InProcess;

    public override string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public override async Task StopAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.StopAsync();
            server.Dispose();
        }
    }

    public override async Task RestartAsync()
    {
        await StopAsync();
        var factory = new MqttServerFactory();
        var options = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointPort(Port)
            // As Mosquitto does: a client that connects without a clean session finds its session,
            // and the QoS 1 messages queued for it, again (an agent killed and restarted).
            .WithPersistentSessions(true)
            .Build();
        var server = factory.CreateMqttServer(options);
        server.ClientConnectedAsync += e => Note($"connected {e.ClientId}");
        server.ClientDisconnectedAsync += e => Note($"disconnected {e.ClientId} ({e.DisconnectType})");
        await server.StartAsync();
        _server = server;
        await WaitUntilListeningAsync(() => null);
    }

    private Task Note(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }

        return Task.CompletedTask;
    }
}
