using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;
using WireMock.Server;
using MockRequest = WireMock.RequestBuilders.Request;
using MockResponse = WireMock.ResponseBuilders.Response;

namespace AlertPipeline.Adapters.Tests.Respond.Channels.Teams;

/// <summary><see cref="TeamsChannel"/> against a real HTTP server on loopback standing in for a Workflows webhook.</summary>
public sealed class TeamsChannelTests : IDisposable
{
    // Workflows URLs carry their signature in the query; the path and sig stand in for that secret.
    private const string WebhookPath = "/workflows/0a1b2c3d/triggers/manual/paths/invoke";
    private const string Signature = "sig-SECRET-0123456789";
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    [Fact]
    public async Task Accepted_post_is_sent_with_the_builders_payload()
    {
        _server.Given(MockRequest.Create().WithPath(WebhookPath).WithParam("sig", Signature).UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(202));
        var channel = new TeamsChannel(_http, Options(Webhook(_server.Url!)));
        var alert = ChannelTestAlerts.Fixed();

        var result = await channel.SendAsync(alert, CancellationToken.None);

        Assert.Equal(ChannelResult.Sent("HTTP 202"), result);
        var request = Assert.Single(_server.LogEntries).RequestMessage;
        Assert.Equal("POST", request.Method);
        Assert.Equal(WebhookPath, request.Path);
        Assert.StartsWith("application/json", Assert.Single(request.Headers!["Content-Type"]), StringComparison.Ordinal);
        Assert.Equal(AdaptiveCardBuilder.Build(alert, "https://runbooks.example/alertpipeline"), request.Body);
    }

    [Fact]
    public async Task Server_error_fails_as_retryable()
    {
        _server.Given(MockRequest.Create().WithPath(WebhookPath).UsingPost()).RespondWith(MockResponse.Create().WithStatusCode(500));
        var channel = new TeamsChannel(_http, Options(Webhook(_server.Url!)));

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ChannelResult.Failed("HTTP 500 (retryable)"), result);
    }

    [Fact]
    public async Task Too_many_requests_fails_with_the_retry_after()
    {
        _server.Given(MockRequest.Create().WithPath(WebhookPath).UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(429).WithHeader("Retry-After", "12"));
        var channel = new TeamsChannel(_http, Options(Webhook(_server.Url!)));

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ChannelResult.Failed("HTTP 429 (retryable), Retry-After 12s") with { RetryAfter = TimeSpan.FromSeconds(12) }, result);
    }

    [Fact]
    public async Task Revoked_webhook_fails_as_not_retryable()
    {
        _server.Given(MockRequest.Create().WithPath(WebhookPath).UsingPost()).RespondWith(MockResponse.Create().WithStatusCode(404));
        var channel = new TeamsChannel(_http, Options(Webhook(_server.Url!)));

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ChannelResult.Failed("HTTP 404 (not retryable)") with { Permanent = true }, result);
    }

    [Fact]
    public async Task Unreachable_webhook_fails_without_throwing_or_leaking_the_url()
    {
        var channel = new TeamsChannel(_http, Options(Webhook($"http://127.0.0.1:{ChannelTestAlerts.ClosedPort()}")));

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ActionStatus.Failed, result.Status);
        Assert.Contains("HttpRequestException", result.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Signature, result.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("workflows", result.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Slow_webhook_fails_on_the_timeout()
    {
        _server.Given(MockRequest.Create().WithPath(WebhookPath).UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(202).WithDelay(TimeSpan.FromSeconds(5)));
        var options = Options(Webhook(_server.Url!));
        options.Timeout = TimeSpan.FromMilliseconds(200);
        var channel = new TeamsChannel(_http, options);

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ChannelResult.Failed("timeout after 0.2s (retryable)"), result);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public async Task Missing_webhook_is_skipped(string? url)
    {
        var channel = new TeamsChannel(_http, Options(url));

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ChannelResult.Skipped("teams not configured"), result);
        Assert.Empty(_server.LogEntries);
    }

    private static string Webhook(string baseUrl) => $"{baseUrl}{WebhookPath}?api-version=1&sig={Signature}";

    private static TeamsChannelOptions Options(string? webhook) => new()
    {
        WebhookUrl = webhook,
        RunbookBaseUrl = "https://runbooks.example/alertpipeline",
    };
}
