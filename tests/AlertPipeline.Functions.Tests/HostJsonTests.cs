using System.Text.Json;

namespace AlertPipeline.Functions.Tests;

/// <summary>The host.json that ships in the Function app's output: Event Hubs batching and the retry policy.</summary>
public sealed class HostJsonTests
{
    [Fact]
    public void HostJson_IsVersion2WithATimeout()
    {
        using var host = FunctionAppArtifacts.Load("host.json");
        Assert.Equal("2.0", host.RootElement.GetProperty("version").GetString());
        Assert.True(TimeSpan.TryParse(host.RootElement.GetProperty("functionTimeout").GetString(), System.Globalization.CultureInfo.InvariantCulture, out var timeout));
        Assert.InRange(timeout, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public void EventHubs_BatchForThroughputButWaitOnlySeconds()
    {
        using var host = FunctionAppArtifacts.Load("host.json");
        var eventHubs = host.RootElement.GetProperty("extensions").GetProperty("eventHubs");

        Assert.Equal(256, eventHubs.GetProperty("maxEventBatchSize").GetInt32());
        var min = eventHubs.GetProperty("minEventBatchSize").GetInt32();
        Assert.InRange(min, 1, 256);
        var maxWait = TimeSpan.Parse(eventHubs.GetProperty("maxWaitTime").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(maxWait, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)); // detection latency bound
        Assert.Equal(1, eventHubs.GetProperty("batchCheckpointFrequency").GetInt32());
        Assert.True(eventHubs.GetProperty("prefetchCount").GetInt32() >= 256, "prefetch should cover at least one full batch");
        Assert.Equal("fromStart", eventHubs.GetProperty("initialOffsetOptions").GetProperty("type").GetString());
    }

    [Fact]
    public void Retry_IsExponentialBackoffFiveTimesFromTwoSecondsToAMinute()
    {
        using var host = FunctionAppArtifacts.Load("host.json");
        var retry = host.RootElement.GetProperty("retry");

        Assert.Equal("exponentialBackoff", retry.GetProperty("strategy").GetString());
        Assert.Equal(5, retry.GetProperty("maxRetryCount").GetInt32());
        Assert.Equal("00:00:02", retry.GetProperty("minimumInterval").GetString());
        Assert.Equal("00:01:00", retry.GetProperty("maximumInterval").GetString());
    }

    [Fact]
    public void Logging_KeepsFunctionLogsAtInformation()
    {
        using var host = FunctionAppArtifacts.Load("host.json");
        var levels = host.RootElement.GetProperty("logging").GetProperty("logLevel");
        Assert.Equal("Information", levels.GetProperty("Function").GetString());
    }
}
