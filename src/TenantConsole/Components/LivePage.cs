using Convoy.TenantConsole.ReadSide;
using Microsoft.AspNetCore.Components;

namespace Convoy.TenantConsole.Components;

/// <summary>
/// A page that shows the fleet as it changes: it starts the tab's <see cref="FleetLive"/> watch
/// and re-renders when a change arrives: at once when the page has not rendered for a quarter
/// second (the first snapshot, a single alert), else at the end of that quarter second, so a busy
/// fleet costs the browser a few renders a second rather than one per truck.
/// </summary>
public abstract class LivePage : TenantPage
{
    private static readonly TimeSpan RenderEvery = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan PrerenderWait = TimeSpan.FromSeconds(1);
    private int _renderPending;
    private long _renderedAt;
    private bool _disposed;

    [Inject]
    internal FleetLive Live { get; set; } = default!;

    /// <summary>The time the page is drawn at (ages and silence are counted from it).</summary>
    protected DateTimeOffset Now => DateTimeOffset.UtcNow;

    protected sealed override async Task OnSignedInAsync()
    {
        Live.Changed += OnChanged;
        Live.Start(User);
        if (!RendererInfo.IsInteractive)
        {
            // The page's first HTML (prerendered, before the browser's circuit exists) already
            // shows the fleet when the read side answers within a second: the trucks are on the
            // screen at the page's load, not a circuit's round trip later.
            await Live.FirstAnswerAsync(PrerenderWait);
        }

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
            var wait = RenderEvery - System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _renderedAt));
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            Volatile.Write(ref _renderPending, 0);
            if (Volatile.Read(ref _disposed) || Live.Stopped)
            {
                // The page or the console went away during the wait: nothing to draw into.
                return;
            }

            Volatile.Write(ref _renderedAt, System.Diagnostics.Stopwatch.GetTimestamp());
            StateHasChanged();
        });
    }

    protected override void OnDisposing()
    {
        Volatile.Write(ref _disposed, true);
        Live.Changed -= OnChanged;
    }
}
