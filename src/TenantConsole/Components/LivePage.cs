using Convoy.TenantConsole.ReadSide;
using Microsoft.AspNetCore.Components;

namespace Convoy.TenantConsole.Components;

/// <summary>
/// A page that shows the fleet as it changes: it starts the tab's <see cref="FleetLive"/> watch
/// and re-renders when a change arrives, at most every quarter second, so a busy fleet costs the
/// browser a few renders a second rather than one per truck.
/// </summary>
public abstract class LivePage : TenantPage, IDisposable
{
    private static readonly TimeSpan RenderEvery = TimeSpan.FromMilliseconds(250);
    private int _renderPending;

    [Inject]
    internal FleetLive Live { get; set; } = default!;

    /// <summary>The time the page is drawn at (ages and silence are counted from it).</summary>
    protected DateTimeOffset Now => DateTimeOffset.UtcNow;

    protected sealed override async Task OnSignedInAsync()
    {
        Live.Changed += OnChanged;
        Live.Start(User);
        await OnLiveAsync();
    }

    /// <summary>The page's own start, once the watch runs.</summary>
    protected virtual Task OnLiveAsync() => Task.CompletedTask;

    private void OnChanged()
    {
        if (Interlocked.Exchange(ref _renderPending, 1) == 1)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            await Task.Delay(RenderEvery);
            Volatile.Write(ref _renderPending, 0);
            StateHasChanged();
        });
    }

    public void Dispose()
    {
        Live.Changed -= OnChanged;
        GC.SuppressFinalize(this);
    }
}
