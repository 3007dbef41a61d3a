using Microsoft.Extensions.Options;
// Aliases, not namespace imports: the alert engine imports Microsoft.Extensions.Hosting and
// .DependencyInjection project-wide (as the web SDK does) and the agent does not, and an import
// one of them does not need fails its build (IDE0005).
using HostApplicationBuilder = Microsoft.Extensions.Hosting.HostApplicationBuilder;
using IHost = Microsoft.Extensions.Hosting.IHost;
using ServiceProviderServiceExtensions = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions;

namespace Convoy.OptionsValidation;

/// <summary>
/// Builds a host and runs every ValidateOnStart check at once, so a bad setting stops the program
/// in Build, with every bad key named, before any service exists: Host.StartAsync would make the
/// hosted services (and what they take) before it runs these checks. Compiled into each host
/// project (a linked file), internal to each.
/// </summary>
internal static class CheckedHost
{
    public static IHost BuildChecked(this HostApplicationBuilder builder)
    {
        var host = builder.Build();
        try
        {
            ServiceProviderServiceExtensions.GetRequiredService<IStartupValidator>(host.Services).Validate();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
