using System.Runtime.InteropServices;
using System.Text;

namespace Convoy.Kafka.Native;

/// <summary>A record header's name, kept as NUL-terminated UTF-8 outside the managed heap for the producer's whole life.</summary>
public sealed class RecordHeaderName
{
    public RecordHeaderName(string name)
    {
        Name = name;
        byte[] utf8 = Encoding.UTF8.GetBytes(name + "\0");
        Pointer = Marshal.AllocHGlobal(utf8.Length);
        Marshal.Copy(utf8, 0, Pointer, utf8.Length);
    }

    public string Name { get; }

    internal nint Pointer { get; }
}
