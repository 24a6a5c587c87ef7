using System.Text;
using DrAssistant.Api.Auth;

namespace DrAssistant.Api.Tests.Auth;

/// <summary>The RESP3 frames the session invalidation connection reads, whole or cut anywhere.</summary>
public sealed class Resp3Tests
{
    private const string Invalidation = ">2\r\n$10\r\ninvalidate\r\n*2\r\n$10\r\nsession:ab\r\n$10\r\nsession:cd\r\n";

    [Fact]
    public void AnInvalidationPushNamesItsKeys()
    {
        Assert.True(Resp3.TryRead(Encoding.UTF8.GetBytes(Invalidation), out var value, out var used));

        var push = Assert.IsType<Resp3Push>(value);
        Assert.Equal("invalidate", push.Items[0]);
        Assert.Equal(["session:ab", "session:cd"], Assert.IsType<List<object?>>(push.Items[1]));
        Assert.Equal(Invalidation.Length, used);
    }

    [Fact]
    public void AFrameCutAnywhereIsNotReadUntilItIsWhole()
    {
        var bytes = Encoding.UTF8.GetBytes(Invalidation + "+PONG\r\n");
        for (var cut = 0; cut < Invalidation.Length; cut++)
        {
            Assert.False(Resp3.TryRead(bytes.AsSpan(0, cut), out _, out var used), $"read a frame cut at {cut}");
            Assert.Equal(0, used);
        }

        Assert.True(Resp3.TryRead(bytes.AsSpan(Invalidation.Length), out var pong, out _));
        Assert.Equal("PONG", pong);
    }

    [Fact]
    public void AFlushIsAnInvalidationWithANullListAndRepliesOfEveryTypeRead()
    {
        Assert.True(Resp3.TryRead(">2\r\n$10\r\ninvalidate\r\n_\r\n"u8, out var flush, out _));
        Assert.Null(Assert.IsType<Resp3Push>(flush).Items[1]);
        Assert.True(Resp3.TryRead("%2\r\n+server\r\n+redis\r\n+proto\r\n:3\r\n"u8, out var hello, out _));
        Assert.Equal(["server", "redis", "proto", 3L], Assert.IsType<List<object?>>(hello));
        Assert.True(Resp3.TryRead("-NOPERM no\r\n"u8, out var error, out _));
        Assert.Equal(new Resp3Error("NOPERM no"), error);
        Assert.True(Resp3.TryRead("|1\r\n+key\r\n+value\r\n+OK\r\n"u8, out var withAttribute, out _));
        Assert.Equal("OK", withAttribute);
        Assert.True(Resp3.TryRead("#t\r\n"u8, out var boolean, out _));
        Assert.Equal(true, boolean);
        Assert.Equal("*1\r\n$4\r\nPING\r\n", Encoding.UTF8.GetString(Resp3.Command("PING")));
    }
}
