using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;

namespace Convoy.OptionsValidation;

/// <summary>
/// A listening port another process holds, found when the settings are checked rather than when
/// the web server binds it (which would end the start in a stack trace): the setting is named in
/// one line, with the fix. Compiled into each program with a port (a linked file, src/Shared).
/// </summary>
internal static class PortInUse
{
    /// <summary>The failure for <paramref name="key"/> when <paramref name="port"/> on <paramref name="address"/> is taken; null when it is free, 0 (any) or off.</summary>
    public static ValidationResult? Check(string key, string address, int port)
    {
        if (port is <= 0 or > IPEndPoint.MaxPort || !IPAddress.TryParse(address, out var ip))
        {
            return null;
        }

        using var probe = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(ip, port));
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return new ValidationResult(
                $"Configuration '{key}' names port {port} on {address}, which another process is listening on: stop it, or choose another port (0 = any free port).");
        }
        catch (SocketException)
        {
            // Not ours to judge here (e.g. an address of another host): the server reports it.
            return null;
        }
    }
}
