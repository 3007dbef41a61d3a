using Microsoft.Extensions.Options;

namespace Convoy.FleetHistory;

/// <summary>
/// Never silently somewhere: outside the Development environment the embedded store's folder must
/// be named, not left to the default relative folder of wherever the program was started (a
/// container's throw-away layer, a service's working directory).
/// </summary>
internal sealed class StoreLocationPolicy : IValidateOptions<FleetHistoryOptions>
{
    private readonly IHostEnvironment _environment;

    public StoreLocationPolicy(IHostEnvironment environment) => _environment = environment;

    public ValidateOptionsResult Validate(string? name, FleetHistoryOptions options)
    {
        if (options.Store != FleetStoreKind.DuckDb || _environment.IsDevelopment() || options.DataFolder != new FleetHistoryOptions().DataFolder)
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(
            $"Configuration 'FleetHistory:DataFolder' is not set in the {_environment.EnvironmentName} environment, so the store would go to " +
            $"'{options.DataFolder}' under wherever the program started. Set it to a persistent folder, e.g. /var/lib/convoy/fleet-history.");
    }
}
