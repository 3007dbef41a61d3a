using Convoy.TenantConsole.ReadSide;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace Convoy.TenantConsole.Components;

/// <summary>
/// What every page of the console shares: the signed-in person (<see cref="User"/>, whose tenant
/// is the only one the page can show), the read side as that person, and one way of turning a
/// refused or failed call into a sentence on the page (<see cref="Problem"/>).
/// </summary>
/// <remarks>
/// A page is rendered twice: first as the HTML of its first response (prerendered), then again
/// when the browser's circuit connects. The answers a page asked for while it started are carried
/// from the first to the second (<see cref="PersistentComponentState"/>, as protobuf bytes), so the
/// page the person is already reading is not emptied and filled again a moment later.
/// </remarks>
public abstract class TenantPage : ComponentBase, IDisposable
{
    private readonly Dictionary<string, byte[]> _answers = new(StringComparer.Ordinal);
    private PersistingComponentStateSubscription? _persisting;
    private bool _starting;
    private int _asked;

    [Inject]
    private PersistentComponentState Prerendered { get; set; } = default!;

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
        _starting = true;
        try
        {
            await OnSignedInAsync();
        }
        finally
        {
            _starting = false;
        }
    }

    public void Dispose()
    {
        _persisting?.Dispose();
        OnDisposing();
        GC.SuppressFinalize(this);
    }

    /// <summary>The page's own clean-up.</summary>
    protected virtual void OnDisposing()
    {
    }

    /// <summary>The page's own start, once <see cref="User"/> is known.</summary>
    protected virtual Task OnSignedInAsync() => Task.CompletedTask;

    /// <summary>
    /// One call to the read side as the signed-in person: the answer, or null with
    /// <see cref="Problem"/> saying why (the read side's own message where it is meant for people).
    /// </summary>
    internal async Task<T?> AskAsync<T>(string method, Func<FleetCall, Task<T>> call) where T : class
    {
        // The n-th call of the page's start: the same call in both renders.
        string? key = _starting ? $"{GetType().Name}:{method}:{_asked++}" : null;
        if (key is not null && Restored<T>(key) is { } restored)
        {
            Problem = null;
            return restored;
        }

        Loading = true;
        try
        {
            var answer = await call(new FleetCall(ReadSide.Fleet, User));
            Problem = null;
            if (key is not null && !RendererInfo.IsInteractive && answer is IMessage message)
            {
                _answers[key] = message.ToByteArray();
                _persisting ??= Prerendered.RegisterOnPersisting(Persist);
            }

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

    /// <summary>The answer the prerendered page had for this call, if it had one.</summary>
    private T? Restored<T>(string key) where T : class
    {
        if (!RendererInfo.IsInteractive || !typeof(IMessage).IsAssignableFrom(typeof(T)) || !Prerendered.TryTakeFromJson<byte[]>(key, out var bytes) || bytes is null)
        {
            return null;
        }

        var message = (IMessage)Activator.CreateInstance<T>();
        message.MergeFrom(bytes);
        return (T)message;
    }

    private Task Persist()
    {
        foreach (var (key, bytes) in _answers)
        {
            Prerendered.PersistAsJson(key, bytes);
        }

        return Task.CompletedTask;
    }
}

/// <summary>The read side's client and the options that make a call the signed-in person's.</summary>
internal readonly record struct FleetCall(Contracts.Fleet.V1.FleetHistory.FleetHistoryClient Fleet, TenantUser User)
{
    public Grpc.Core.CallOptions Options => ReadSideClient.As(User, CancellationToken.None);
}
