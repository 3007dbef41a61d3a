using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Convoy.AlertEngine.Evaluation;

/// <summary>
/// The devices an evaluator keeps state for, by tenant and device id. A batch's device is found
/// from the UTF-8 id in the record as it is (decoded onto the stack), so evaluating a batch of a
/// known device makes no string of its id; a string is made once, when the device is first seen.
/// </summary>
internal sealed class DeviceDirectory<TDevice>
    where TDevice : class
{
    private const int StackChars = 256;
    private readonly Dictionary<string, TenantDevices> _tenants = new(StringComparer.Ordinal);

    /// <summary>Devices held, over every tenant.</summary>
    public int Count { get; private set; }

    /// <summary>Every device held (allocates an enumerator: not for the per-record path).</summary>
    public IEnumerable<TDevice> Values => _tenants.Values.SelectMany(static t => t.Devices.Values);

    public bool TryGet(string tenant, string device, [MaybeNullWhen(false)] out TDevice found)
    {
        found = null;
        return _tenants.TryGetValue(tenant, out var devices) && devices.Devices.TryGetValue(device, out found);
    }

    /// <summary>The device whose id is <paramref name="deviceUtf8"/> (decoded as <see cref="Encoding.UTF8"/> decodes it into the string it was added under).</summary>
    public bool TryGet(string tenant, ReadOnlySpan<byte> deviceUtf8, [MaybeNullWhen(false)] out TDevice found)
    {
        found = null;
        if (!_tenants.TryGetValue(tenant, out var devices))
        {
            return false;
        }

        int most = Encoding.UTF8.GetMaxCharCount(deviceUtf8.Length);
        char[]? rented = most > StackChars ? ArrayPool<char>.Shared.Rent(most) : null;
        Span<char> chars = rented ?? stackalloc char[most]; // sized to the id: a stackalloc is zeroed
        int length = Encoding.UTF8.GetChars(deviceUtf8, chars);
        bool known = devices.ByChars.TryGetValue(chars[..length], out found);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return known;
    }

    /// <summary>Adds a device not held yet; false (nothing changed) when one of that id is held.</summary>
    public bool TryAdd(string tenant, string device, TDevice value)
    {
        if (!_tenants.TryGetValue(tenant, out var devices))
        {
            _tenants.Add(tenant, devices = new TenantDevices());
        }

        if (!devices.Devices.TryAdd(device, value))
        {
            return false;
        }

        Count++;
        return true;
    }

    public bool Remove(string tenant, string device)
    {
        if (!_tenants.TryGetValue(tenant, out var devices) || !devices.Devices.Remove(device))
        {
            return false;
        }

        Count--;
        if (devices.Devices.Count == 0)
        {
            _tenants.Remove(tenant);
        }

        return true;
    }

    private sealed class TenantDevices
    {
        public TenantDevices()
        {
            Devices = new Dictionary<string, TDevice>(StringComparer.Ordinal);
            ByChars = Devices.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public Dictionary<string, TDevice> Devices { get; }

        public Dictionary<string, TDevice>.AlternateLookup<ReadOnlySpan<char>> ByChars { get; }
    }
}
