using Convoy.Tokens;

namespace Convoy.Collector.Tests;

public sealed class LogTextUnitTests
{
    [Theory]
    [InlineData("dispatch-app", "\"dispatch-app\"")]
    [InlineData("a\nb\rc\td", "\"a\\nb\\rc\\td\"")]
    [InlineData("say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\"")]
    [InlineData("bell\u0007 and é", "\"bell\\u0007 and \\u00e9\"")]
    public void Quote_EscapesWhatCouldBreakALogLine(string text, string expected) => Assert.Equal(expected, LogText.Quote(text));

    [Fact]
    public void Quote_CutsLongTextAndSaysSo()
    {
        string quoted = LogText.Quote(new string('x', 1000));

        Assert.Equal("\"" + new string('x', LogText.MaxLength) + "\" (cut at 64 of 1000 characters)", quoted);
        Assert.Equal("(none)", LogText.Quote(null));
    }

    [Theory]
    [InlineData("dispatch-app", "dispatch-app")]
    [InlineData("two\nlines", "\"two\\nlines\"")]
    [InlineData("a \"quote\"", "\"a \\\"quote\\\"\"")]
    public void AsIs_KeepsPlainTextAndQuotesTheRest(string text, string expected) => Assert.Equal(expected, LogText.AsIs(text));
}
