using System.Diagnostics;
using System.Text;
using Convoy.Contracts;

namespace Convoy.Collector.Tests;

/// <summary>
/// The W3C traceparent as a batch's field and a Kafka header carry it (Contracts' TraceParent): what
/// it writes reads back the same, and what W3C says to ignore is not a trace context.
/// </summary>
public sealed class TraceParentUnitTests
{
    [Fact]
    public void TryParse_TheSpecificationsExample_GivesItsIdsAndSampledFlag()
    {
        bool parsed = TraceParent.TryParse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"u8, out var context, "congo=t61rcWkgMzE");

        Assert.True(parsed);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", context.TraceId.ToHexString());
        Assert.Equal("00f067aa0ba902b7", context.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags);
        Assert.Equal("congo=t61rcWkgMzE", context.TraceState);
        Assert.True(context.IsRemote);
    }

    [Fact]
    public void Write_ThenTryParse_GivesTheSameContext()
    {
        var written = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        byte[] utf8 = new byte[TraceParent.Length];

        int length = TraceParent.Write(written, utf8);

        Assert.Equal(TraceParent.Length, length);
        Assert.Equal($"00-{written.TraceId.ToHexString()}-{written.SpanId.ToHexString()}-00", Encoding.UTF8.GetString(utf8));
        Assert.True(TraceParent.TryParse(utf8, out var read));
        Assert.Equal((written.TraceId, written.SpanId, written.TraceFlags), (read.TraceId, read.SpanId, read.TraceFlags));
    }

    [Fact]
    public void TryParse_ALaterVersion_ReadsTheFieldsItKnows()
    {
        Assert.True(TraceParent.TryParse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-something-new"u8, out var context));

        Assert.Equal("00f067aa0ba902b7", context.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags); // only the flag this version knows
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a traceparent")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0")] // 54 characters
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")] // version 00 is exactly 55
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01")] // upper case
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")] // version ff is invalid
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")] // all-zero trace id
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")] // all-zero span id
    [InlineData("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01")] // separators
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01")] // not hex
    public void TryParse_WhatW3CSaysToIgnore_IsNotATraceContext(string value)
    {
        Assert.False(TraceParent.TryParse(Encoding.UTF8.GetBytes(value), out var context));
        Assert.Equal(default, context);
    }
}
