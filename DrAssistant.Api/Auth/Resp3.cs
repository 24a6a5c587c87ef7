using System.Globalization;
using System.Text;

namespace DrAssistant.Api.Auth;

/// <summary>A RESP3 push message (<c>&gt;</c>): what Redis sends unasked, such as a client-tracking invalidation.</summary>
internal sealed record Resp3Push(IReadOnlyList<object?> Items);

/// <summary>A RESP3 error reply (<c>-</c> or <c>!</c>).</summary>
internal sealed record Resp3Error(string Message);

/// <summary>
/// The few pieces of the Redis protocol (RESP3) the session invalidation listener needs: commands as arrays of bulk
/// strings, and replies parsed from a buffer that may hold a partial frame. Values come back as string, long, double,
/// bool, null, <see cref="Resp3Error"/>, <see cref="Resp3Push"/> or a list (arrays, sets, maps as key, value, …).
/// </summary>
internal static class Resp3
{
    public static byte[] Command(params string[] parts)
    {
        var text = new StringBuilder().Append('*').Append(parts.Length).Append("\r\n");
        foreach (var part in parts)
        {
            text.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// One complete value from the start of <paramref name="data"/>; false when the frame is not complete yet (nothing
    /// consumed). Malformed input throws <see cref="FormatException"/>.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out object? value, out int consumed)
    {
        consumed = 0;
        value = null;
        if (!TryLine(data, out var line, out var used))
        {
            return false;
        }

        var type = (char)line[0];
        var rest = Encoding.UTF8.GetString(line[1..]);
        switch (type)
        {
            case '+':
                value = rest;
                consumed = used;
                return true;
            case '-':
                value = new Resp3Error(rest);
                consumed = used;
                return true;
            case ':':
                value = long.Parse(rest, CultureInfo.InvariantCulture);
                consumed = used;
                return true;
            case ',':
                value = double.Parse(rest, CultureInfo.InvariantCulture);
                consumed = used;
                return true;
            case '#':
                value = rest == "t";
                consumed = used;
                return true;
            case '(':
                value = rest;
                consumed = used;
                return true;
            case '_':
                consumed = used;
                return true;
            case '$' or '=' or '!':
                var length = int.Parse(rest, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    consumed = used;
                    return true;
                }

                if (data.Length < used + length + 2)
                {
                    return false;
                }

                var text = Encoding.UTF8.GetString(data.Slice(used, length));
                value = type == '!' ? new Resp3Error(text) : type == '=' && text.Length >= 4 ? text[4..] : text;
                consumed = used + length + 2;
                return true;
            case '*' or '~' or '>' or '%' or '|':
                var count = int.Parse(rest, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    consumed = used;
                    return true;
                }

                var items = new List<object?>(type is '%' or '|' ? count * 2 : count);
                for (var i = 0; i < (type is '%' or '|' ? count * 2 : count); i++)
                {
                    if (!TryRead(data[used..], out var item, out var itemUsed))
                    {
                        return false;
                    }

                    items.Add(item);
                    used += itemUsed;
                }

                if (type == '|')
                {
                    // Attributes describe the value that follows; that value is the reply.
                    if (!TryRead(data[used..], out value, out var valueUsed))
                    {
                        return false;
                    }

                    consumed = used + valueUsed;
                    return true;
                }

                value = type == '>' ? new Resp3Push(items) : items;
                consumed = used;
                return true;
            default:
                throw new FormatException($"Unexpected RESP3 type '{type}'.");
        }
    }

    private static bool TryLine(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> line, out int used)
    {
        var end = data.IndexOf("\r\n"u8);
        if (end < 0)
        {
            line = default;
            used = 0;
            return false;
        }

        if (end == 0)
        {
            throw new FormatException("Empty RESP3 line.");
        }

        line = data[..end];
        used = end + 2;
        return true;
    }
}
