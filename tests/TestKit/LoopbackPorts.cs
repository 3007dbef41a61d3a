using System.Net;
using System.Net.Sockets;

namespace Convoy.TestKit;

/// <summary>Ports for the servers the tests start on 127.0.0.1.</summary>
public static class LoopbackPorts
{
    /// <summary>
    /// A port that was free a moment ago: the system picks it for a socket bound to port 0, which is
    /// then closed. Another process may take it before the server binds it, so a server that fails
    /// with "address in use" is started again on a new one where that is possible.
    /// </summary>
    public static int Free()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
