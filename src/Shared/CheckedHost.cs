using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

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
            host.Services.GetRequiredService<IStartupValidator>().Validate();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
