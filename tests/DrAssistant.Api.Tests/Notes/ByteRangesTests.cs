using DrAssistant.Api.Notes;
using DrAssistant.Api.Recordings;

namespace DrAssistant.Api.Tests.Notes;

/// <summary>The Range header of a download, parsed without a server (RFC 9110 §14, one range of bytes).</summary>
public sealed class ByteRangesTests
{
    private const long Length = 10_000;

    [Theory]
    [InlineData("bytes=0-499", 0, 500)]
    [InlineData("bytes=500-999", 500, 500)]
    [InlineData("bytes=9500-", 9500, 500)]
    [InlineData("bytes=-500", 9500, 500)]
    [InlineData("bytes=0-0", 0, 1)]
    [InlineData("bytes=9999-", 9999, 1)]
    [InlineData("bytes=9000-20000", 9000, 1000)]
    [InlineData("bytes=0-99999999999999999999999", 0, 10_000)]
    [InlineData("bytes=-20000", 0, 10_000)]
    [InlineData("Bytes= 100 - 199 ", 100, 100)]
    public void OneRangeIsServedAsAPartClampedToTheFile(string header, long start, long length)
    {
        var (outcome, range) = ByteRanges.Evaluate(header, Length);

        Assert.Equal(RangeOutcome.Partial, outcome);
        Assert.Equal(new ByteRange(start, length), range);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("items=0-10")]
    [InlineData("bytes=")]
    [InlineData("bytes=abc-def")]
    [InlineData("bytes=10")]
    [InlineData("bytes=500-100")]
    [InlineData("bytes=-")]
    [InlineData("bytes=0-10,20-30")]
    [InlineData("bytes=1e3-2e3")]
    [InlineData("bytes=+5-10")]
    public void AnAbsentForeignSeveralOrMalformedRangeIsIgnoredAndTheWholeFileServed(string? header)
    {
        var (outcome, range) = ByteRanges.Evaluate(header, Length);

        Assert.Equal(RangeOutcome.Full, outcome);
        Assert.Equal(new ByteRange(0, Length), range);
    }

    [Theory]
    [InlineData("bytes=10000-")]
    [InlineData("bytes=10000-10005")]
    [InlineData("bytes=99999999999999999999999-")]
    [InlineData("bytes=-0")]
    public void ARangeThatStartsPastTheEndIsUnsatisfiable(string header)
    {
        Assert.Equal(RangeOutcome.Unsatisfiable, ByteRanges.Evaluate(header, Length).Outcome);
    }

    [Fact]
    public void AnEmptyFileHasNoSatisfiableRange()
    {
        Assert.Equal(RangeOutcome.Unsatisfiable, ByteRanges.Evaluate("bytes=0-", 0).Outcome);
        Assert.Equal(RangeOutcome.Unsatisfiable, ByteRanges.Evaluate("bytes=-5", 0).Outcome);
    }

    [Fact]
    public void IfRangeServesThePartOnlyWhileTheFileIsTheSameOne()
    {
        Assert.Equal(RangeOutcome.Partial, ByteRanges.Evaluate("bytes=0-9", Length, "\"abc\"", "\"abc\"").Outcome);
        Assert.Equal(RangeOutcome.Full, ByteRanges.Evaluate("bytes=0-9", Length, "\"old\"", "\"abc\"").Outcome);
        Assert.Equal(RangeOutcome.Full, ByteRanges.Evaluate("bytes=0-9", Length, "Wed, 21 Oct 2015 07:28:00 GMT", "\"abc\"").Outcome);
    }

    [Fact]
    public void ContentRangeNamesTheFirstAndLastByteAndTheTotal()
    {
        Assert.Equal("bytes 100-199/10000", new ByteRange(100, 100).ContentRange(Length));
        Assert.Equal(199, new ByteRange(100, 100).End);
    }
}
