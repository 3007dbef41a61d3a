using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace Convoy.EdgeAgent.Tests.Mqtt;

/// <summary>
/// A real Mosquitto broker (Debian's <c>mosquitto</c> package) on 127.0.0.1 and a free port, from a
/// generated configuration; stopped and restarted on the same port on demand, killed at the end.
/// Mosquitto missing is a test failure with the fix in the message, never a skip: CI installs it.
/// </summary>
internal sealed class MosquittoBroker : IAsyncDisposable
{
    private static readonly string[] Candidates = ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/bin/mosquitto"];

    private readonly string _folder;
    private readonly string _config;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private MosquittoBroker(string executable, string folder, int port)
    {
        Executable = executable;
        _folder = folder;
        Port = port;
        _config = Path.Combine(folder, "mosquitto.conf");
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

    public string Executable { get; }

    public int Port { get; }

    public static async Task<MosquittoBroker> StartAsync()
    {
        string? executable = Find();
        Assert.True(executable is not null,
            "mosquitto is not installed, and the MQTT input is tested against a real broker: run `apt-get install -y mosquitto` (.ci/run does).");
        string folder = Path.Combine(Path.GetTempPath(), "convoy-mosquitto-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var broker = new MosquittoBroker(executable!, folder, FreePort());
        await broker.RestartAsync();
        return broker;
    }

    /// <summary>Kills the broker: every client connection drops at once, as when the gateway's broker crashes.</summary>
    public async Task StopAsync()
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

    /// <summary>Starts the broker (again, on the same port) and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(Executable, ["-c", _config])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            },
        };
        process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            Assert.False(process.HasExited, $"mosquitto exited with code {(process.HasExited ? process.ExitCode : 0)}: {Output}");
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

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>A connected publishing client (MQTTnet), as a reefer controller or CAN bridge would be.</summary>
    public async Task<IMqttClient> ConnectPublisherAsync(string clientId = "test-publisher")
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Port).WithClientId(clientId).Build());
        return client;
    }

    public static Task PublishAsync(IMqttClient publisher, string topic, string payload) =>
        publisher.PublishStringAsync(topic, payload, MqttQualityOfServiceLevel.AtLeastOnce);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private static string? Find()
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string path = Path.Combine(folder, "mosquitto");
            if (folder.Length > 0 && File.Exists(path))
            {
                return path;
            }
        }

        return Array.Find(Candidates, File.Exists);
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
