using Convoy.TenantConsole.ReadSide;
using Grpc.Core;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace Convoy.TenantConsole.Components;

/// <summary>
/// What every page of the console shares: the signed-in person (<see cref="User"/>, whose tenant
/// is the only one the page can show), the read side as that person, and one way of turning a
/// refused or failed call into a sentence on the page (<see cref="Problem"/>).
/// </summary>
public abstract class TenantPage : ComponentBase
{
    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = default!;

    [Inject]
    internal ReadSideClient ReadSide { get; set; } = default!;

    [Inject]
    private ILoggerFactory Loggers { get; set; } = default!;

    /// <summary>The signed-in person; set before <see cref="OnSignedInAsync"/> runs.</summary>
    protected TenantUser User { get; private set; } = default!;

    /// <summary>Why the page cannot show what was asked, in words for the person; null when it can.</summary>
    protected string? Problem { get; set; }

    /// <summary>True while a call is under way.</summary>
    protected bool Loading { get; private set; }

    protected sealed override async Task OnInitializedAsync()
    {
        var state = await Authentication;
        // The router only renders pages for a console sign-in; a cookie without one was rejected before.
        User = TenantUser.From(state.User) ?? throw new InvalidOperationException("A page rendered without a console sign-in.");
        await OnSignedInAsync();
    }

    /// <summary>The page's own start, once <see cref="User"/> is known.</summary>
    protected virtual Task OnSignedInAsync() => Task.CompletedTask;

    /// <summary>
    /// One call to the read side as the signed-in person: the answer, or null with
    /// <see cref="Problem"/> saying why (the read side's own message where it is meant for people).
    /// </summary>
    internal async Task<T?> AskAsync<T>(string method, Func<FleetCall, Task<T>> call) where T : class
    {
        Loading = true;
        try
        {
            var answer = await call(new FleetCall(ReadSide.Fleet, User));
            Problem = null;
            return answer;
        }
        catch (RpcException e)
        {
            ConsoleLog.ReadSideRefused(Loggers.CreateLogger("Convoy.TenantConsole"), method, User.Tenant, e.StatusCode.ToString(), e.Status.Detail);
            Problem = ReadSideClient.Explain(e);
            return null;
        }
        finally
        {
            Loading = false;
        }
    }
}

/// <summary>The read side's client and the options that make a call the signed-in person's.</summary>
internal readonly record struct FleetCall(Contracts.Fleet.V1.FleetHistory.FleetHistoryClient Fleet, TenantUser User)
{
    public Grpc.Core.CallOptions Options => ReadSideClient.As(User, CancellationToken.None);
}
