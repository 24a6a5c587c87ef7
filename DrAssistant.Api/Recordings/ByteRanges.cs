using System.Globalization;

namespace DrAssistant.Api.Recordings;

/// <summary>What a download answers: the whole file (200), one part of it (206), or nothing it can serve (416).</summary>
public enum RangeOutcome
{
    Full,
    Partial,
    Unsatisfiable,
}

/// <summary>Bytes <see cref="Start"/> to <see cref="End"/> inclusive, as HTTP counts them.</summary>
public readonly record struct ByteRange(long Start, long Length)
{
    public long End => Start + Length - 1;

    public string ContentRange(long total) => $"bytes {Start}-{End}/{total}";
}

/// <summary>
/// The <c>Range</c> header of RFC 9110 §14 for one range of bytes, which is what audio players ask for (seeking). What
/// the server may ignore it ignores, answering the whole file: another unit, several ranges (no multipart/byteranges
/// here), a malformed header, or an <c>If-Range</c> that no longer matches. A well-formed range that starts past the
/// end is unsatisfiable (416).
/// </summary>
public static class ByteRanges
{
    public static (RangeOutcome Outcome, ByteRange Range) Evaluate(string? range, long length, string? ifRange = null, string? entityTag = null)
    {
        var whole = (RangeOutcome.Full, new ByteRange(0, length));
        if (string.IsNullOrWhiteSpace(range))
        {
            return whole;
        }

        // If-Range: serve the part only if the file is still the one the client has the rest of (strong comparison).
        if (ifRange is not null && !string.Equals(ifRange.Trim(), entityTag, StringComparison.Ordinal))
        {
            return whole;
        }

        var header = range.Trim();
        const string unit = "bytes=";
        if (!header.StartsWith(unit, StringComparison.OrdinalIgnoreCase))
        {
            return whole;
        }

        var specification = header[unit.Length..].Trim();
        if (specification.Contains(',', StringComparison.Ordinal))
        {
            return whole;
        }

        var dash = specification.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return whole;
        }

        var first = specification[..dash].Trim();
        var last = specification[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            // "-500": the last 500 bytes.
            if (!TryParsePosition(last, out var suffix))
            {
                return whole;
            }

            return suffix == 0 || length == 0
                ? (RangeOutcome.Unsatisfiable, default)
                : (RangeOutcome.Partial, new ByteRange(Math.Max(0, length - suffix), Math.Min(suffix, length)));
        }

        if (!TryParsePosition(first, out var start))
        {
            return whole;
        }

        var end = long.MaxValue;
        if (last.Length > 0 && (!TryParsePosition(last, out end) || end < start))
        {
            return whole;
        }

        if (start >= length)
        {
            return (RangeOutcome.Unsatisfiable, default);
        }

        end = Math.Min(end, length - 1);
        return (RangeOutcome.Partial, new ByteRange(start, end - start + 1));
    }

    /// <summary>Digits only; a number too large for a long is as good as infinite (it is past any file's end).</summary>
    private static bool TryParsePosition(string text, out long value)
    {
        value = 0;
        if (text.Length == 0 || !text.All(char.IsAsciiDigit))
        {
            return false;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            value = long.MaxValue;
        }

        return true;
    }
}
