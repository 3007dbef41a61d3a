using System.Net;
using Convoy.Probes;
using Convoy.OptionsValidation;
using Convoy.TenantConsole.Components;
using Convoy.TenantConsole.ReadSide;
using Convoy.TenantConsole.SignIn;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace Convoy.TenantConsole;

/// <summary>Builds the tenant console: a Blazor (interactive server) web app over the read side's query API.</summary>
public static class TenantConsoleHost
{
    /// <summary>The <c>--help</c> text; every default it shows is read from a new options instance.</summary>
    public static string Help { get; } = CreateHelp(new TenantConsoleOptions());

    private static string CreateHelp(TenantConsoleOptions o) => $$"""
        Convoy tenant console: each company's own live view of its fleet, alerts, cold-chain
        reports, rules and projection status, in the browser, on top of the read side's query API
        (the fleet history program). People sign in at their company's OpenID Connect provider.

        Usage: Convoy.TenantConsole [--Key=Value ...]
        Every setting can also come from appsettings.json or an environment variable
        (TenantConsole__Oidc__Authority=...).

          --TenantConsole:Address=IP               listen address {{D(o.Address)}}
          --TenantConsole:Port=N                   HTTP port (the pages, /healthz, /readyz), 0 = any free port {{D(o.Port)}}
          --TenantConsole:FleetHistoryUrl=URL      the read side's gRPC address {{D(o.FleetHistoryUrl)}}
          --TenantConsole:TileUrl=TEMPLATE         map tiles, e.g. https://tiles.example/{z}/{x}/{y}.png {{D(o.TileUrl)}}
          --TenantConsole:SilentAfter=hh:mm:ss     a truck is silent after this long without data {{D(o.SilentAfter)}}
          --TenantConsole:Oidc:Authority=URL       the identity provider (its issuer address)
          --TenantConsole:Oidc:ClientId=ID         the console's client id there
          --TenantConsole:Oidc:ClientSecret=S      ...and secret, for a confidential client
          --TenantConsole:Oidc:Scopes=S            scopes besides openid {{D(o.Oidc.Scopes)}}
          --TenantConsole:Oidc:TenantClaim=C       the claim naming the tenant {{D(o.Oidc.TenantClaim)}}
          --TenantConsole:Oidc:RolesClaim=C        the claim holding viewer/analyst/admin {{D(o.Oidc.RolesClaim)}}
          --TenantConsole:DevSignIn:Tenants:N=T    Development only: sign in as a demo tenant
          --TenantConsole:DevSignIn:SigningKeyFile=PEM  ...with read-side tokens signed by this key
        """;

    private static string D(object? value) => SettingDefault.Of(value);

    /// <summary>
    /// Builds the console from command-line style arguments; an invalid setting fails here, naming
    /// its key. <paramref name="environment"/> overrides the host environment, and
    /// <paramref name="configureServices"/> adds or replaces services (tests, the demo).
    /// </summary>
    public static WebApplication Build(string[] args, string? environment = null, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(TenantConsoleHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = environment,
        });
        builder.Logging.UseConfiguredConsoleFormat(builder.Configuration);
        builder.Services.AddOptions<TenantConsoleOptions>()
            .Bind(builder.Configuration.GetSection(TenantConsoleOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TenantConsoleOptions>, TenantConsoleOptionsValidator>();
        builder.Services.AddSingleton<IValidateOptions<TenantConsoleOptions>, DevSignInPolicy>();

        var options = new TenantConsoleOptions();
        builder.Configuration.GetSection(TenantConsoleOptions.SectionName).Bind(options);
        builder.Services.AddConsoleSignIn(options);
        builder.Services.AddSingleton<ReadSideClient>();
        builder.Services.AddScoped(static sp => new FleetLive(sp.GetRequiredService<ReadSideClient>(), sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<IHostApplicationLifetime>()));
        // /readyz: the read side answers (every page reads from it).
        builder.Services.AddHealthChecks().AddCheck<ReadSideReadinessCheck>(ReadSideReadinessCheck.Name, tags: [HealthEndpoints.Ready]);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        configureServices?.Invoke(builder.Services);
        // The pages' scripts and styles (MudBlazor's, from its NuGet package, and wwwroot) are found
        // through the build's static web assets manifest in every environment, not only Development;
        // a published console has them in wwwroot and no manifest, and this is then a no-op.
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // A port out of range is left to the settings' check, which names it.
            var address = IPAddress.TryParse(options.Address, out var ip) ? ip : IPAddress.Loopback;
            if (options.Port is >= IPEndPoint.MinPort and <= IPEndPoint.MaxPort)
            {
                kestrel.Listen(address, options.Port);
            }
        });

        var app = builder.Build();
        app.Services.GetRequiredService<IStartupValidator>().Validate();
        // IOptions<T> keeps a value of its own, apart from the one the startup check validated: make
        // it now, while the port is free. Made on the first request (the read side's client, built by
        // the first /readyz), its check found the console's own port taken and every probe answered 500.
        _ = app.Services.GetRequiredService<IOptions<TenantConsoleOptions>>().Value;
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        // Probes carry no sign-in: without this the fallback policy would send them to it.
        app.MapHealthEndpoints().AllowAnonymous();
        app.MapConsoleSignIn(options);
        app.MapReportDownloads();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Convoy.TenantConsole");
            string signIn = options.Oidc.Enabled ? $"OpenID Connect at {options.Oidc.Authority}" : $"dev sign-in as {string.Join(", ", options.DevSignIn.Tenants)}";
            string address = Address(app).ToString();
            ConsoleLog.Listening(logger, address, options.FleetHistoryUrl, signIn);
        });
        return app;
    }

    /// <summary>The console's address, once started.</summary>
    public static Uri Address(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return new Uri(app.Urls.First());
    }
}
