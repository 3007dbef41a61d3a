using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Grpc.Core;

namespace Convoy.FleetHistory.Query;

/// <summary>
/// The opaque cursors of paged answers: where the last page ended, tagged with the method that
/// gave it, base64url. Not a secret and not a capability: a cursor only narrows a query the caller
/// may run anyway, within its own tenant.
/// </summary>
internal static class PageToken
{
    public static string Of(string method, params string[] parts) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(method + "\n" + string.Join("\n", parts)));

    public static string Of(string method, long value) => Of(method, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>The parts of a token this method gave; null for an empty token (the first page).</summary>
    public static string[]? Read(string token, string method, int parts)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        string[]? fields = null;
        if (token.Length <= 2048 && Base64Url.IsValid(token))
        {
            string text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            fields = text.Split('\n');
        }

        if (fields is null || fields.Length != parts + 1 || fields[0] != method)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                "page_token is not one this method gave; pass the next_page_token of the previous answer unchanged, or none for the first page"));
        }

        return fields[1..];
    }

    public static long ReadLong(string token, string method, long first)
    {
        var parts = Read(token, method, 1);
        if (parts is null)
        {
            return first;
        }

        return long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new RpcException(new Status(StatusCode.InvalidArgument, "page_token is damaged; pass the next_page_token of the previous answer unchanged"));
    }
}
