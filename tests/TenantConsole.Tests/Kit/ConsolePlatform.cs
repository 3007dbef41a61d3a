using Convoy.Contracts.Telemetry.V1;

namespace Convoy.TenantConsole.Tests.Kit;

/// <summary>
/// The whole platform under the console, for the browser tests of one class: the collector (mutual
/// TLS, embedded Kafka) with tenants acme and globex, the alert engine with a reefer rule that fires
/// at the first reading above 8 °C, the read side, an OpenID Connect provider (OpenIddict) that both
/// the console signs people in with and the read side trusts, the console, and Chromium.
/// Trucks of both tenants have sent a few minutes of data before the first test. Started by the
/// first test that asks (<see cref="StartedAsync"/>), so a class whose browser tests have no case
/// (no Chromium) starts nothing.
/// </summary>
public sealed class ConsolePlatform : IAsyncLifetime
{
    public static readonly string[] AcmeTrucks = ["acme-reefer-1", "acme-reefer-2"];
    public static readonly string[] GlobexTrucks = ["globex-tanker-9"];
    private readonly TempFolder _folder = new("console-stack");
    /// <summary>The engine's rule: a reefer zone 1 above 8 °C fires at once and resolves at or below 7.5 °C.</summary>
    private static readonly string[] Rules =
    [
        "--AlertEngine:TemperatureRules:0:Id=reefer-too-warm", "--AlertEngine:TemperatureRules:0:Zone=1", "--AlertEngine:TemperatureRules:0:AboveC=8",
        "--AlertEngine:TemperatureRules:0:For=00:00:00", "--AlertEngine:TemperatureRules:0:ClearBelowC=7.5", "--AlertEngine:TemperatureRules:0:ClearFor=00:00:00",
    ];

    private readonly Lazy<Task> _started;
    private ulong _sequence = 100;

    public ConsolePlatform() => _started = new Lazy<Task>(StartAsync);

    /// <summary>The people of the provider: a dispatcher (viewer) and an analyst of acme, an analyst of globex.</summary>
    public static readonly TestPerson[] People =
    [
        new("ann@acme", "Ann Archer", "acme", "viewer analyst"),
        new("vic@acme", "Vic Vance", "acme", "viewer"),
        new("gus@globex", "Gus Grant", "globex", "viewer analyst"),
    ];

    public TestIdentityProvider Provider { get; private set; } = null!;

    public TestCollector Collector { get; private set; } = null!;

    public TestAlertEngine Engine { get; private set; } = null!;

    public TestFleetHistory History { get; private set; } = null!;

    public TestConsole Console { get; private set; } = null!;

    public TestBrowser Browser { get; private set; } = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>The stack, started once for the class.</summary>
    public async Task<ConsolePlatform> StartedAsync()
    {
        await _started.Value;
        return this;
    }

    private async Task StartAsync()
    {
        Provider = await TestIdentityProvider.StartAsync(People);
        Collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = ["acme", "globex"], AlertTopics = true });
        Engine = await TestAlertEngine.StartAsync(Collector.Kafka, null, Rules);
        // The read side reports the rules the engine runs: it is given the same ones.
        History = await TestFleetHistory.StartAsync(Collector.Kafka, Provider, null, Rules);
        Console = await TestConsole.StartAsync(History, "Production", Provider.ConsoleSwitches());
        Provider.AllowRedirectUri(new Uri(Console.Address, "/signin/oidc"));
        Browser = await TestBrowser.StartAsync();

        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        await SendAsync("acme", AcmeTrucks[0], start, 4f, (51.92, 4.47));
        await SendAsync("acme", AcmeTrucks[1], start, 3f, (51.95, 4.30));
        await SendAsync("globex", GlobexTrucks[0], start, 5f, (48.85, 2.35));
    }

    /// <summary>Ten minutes of one truck's fixes, zone-1 temperatures and fuel from <paramref name="start"/>, one reading a minute.</summary>
    public async Task SendAsync(string tenant, string truck, DateTimeOffset start, float celsius, (double Latitude, double Longitude) at)
    {
        using var device = Collector.Device(tenant, truck);
        TelemetryBatch batch = BatchBuilder.For(truck, Interlocked.Increment(ref _sequence)).StartingAt(start.ToUnixTimeMilliseconds()).Every(TimeSpan.FromMinutes(1))
            .Gps(10, static i => 40f + i, i => (at.Latitude + (i * 0.002), at.Longitude + (i * 0.003)), static _ => 45f)
            .Temperatures(1, 10, _ => celsius)
            .Fuel(10, static i => 80f - (i * 0.2f));
        await device.SendAsync(batch);
    }

    /// <summary>One batch of zone-1 readings at <paramref name="celsius"/>, now.</summary>
    public async Task SendTemperatureAsync(string tenant, string truck, float celsius)
    {
        using var device = Collector.Device(tenant, truck);
        TelemetryBatch batch = BatchBuilder.For(truck, Interlocked.Increment(ref _sequence)).StartingAgo(TimeSpan.FromSeconds(2)).Temperatures(1, celsius, celsius);
        await device.SendAsync(batch);
    }

    public async Task DisposeAsync()
    {
        if (!_started.IsValueCreated)
        {
            _folder.Dispose();
            return;
        }

        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        if (Console is not null)
        {
            await Console.DisposeAsync();
        }

        if (History is not null)
        {
            await History.DisposeAsync();
        }

        if (Engine is not null)
        {
            await Engine.DisposeAsync();
        }

        if (Collector is not null)
        {
            await Collector.DisposeAsync();
        }

        if (Provider is not null)
        {
            await Provider.DisposeAsync();
        }

        _folder.Dispose();
    }
}
