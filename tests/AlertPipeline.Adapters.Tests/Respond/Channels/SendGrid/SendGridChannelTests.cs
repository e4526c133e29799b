using System.Text.Json;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;
using WireMock.Server;
using MockRequest = WireMock.RequestBuilders.Request;
using MockResponse = WireMock.ResponseBuilders.Response;

namespace AlertPipeline.Adapters.Tests.Respond.Channels.SendGrid;

/// <summary><see cref="SendGridChannel"/> against a real HTTP server on loopback standing in for the SendGrid API.</summary>
public sealed class SendGridChannelTests : IDisposable
{
    private const string ApiKey = "SG.test-key-not-a-secret";
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    [Fact]
    public async Task Accepted_mail_is_sent_with_both_parts_recipients_key_and_alert_id()
    {
        _server.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(202).WithHeader("X-Message-Id", "msg-123"));
        var channel = new SendGridChannel(_http, Options(_server.Url!));
        var alert = ChannelTestAlerts.Fixed();

        var result = await channel.SendAsync(alert, CancellationToken.None);

        Assert.Equal(ActionStatus.Sent, result.Status);
        Assert.Contains("msg-123", result.Detail, StringComparison.Ordinal);
        var request = Assert.Single(_server.LogEntries).RequestMessage;
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v3/mail/send", request.Path);
        Assert.Equal($"Bearer {ApiKey}", Assert.Single(request.Headers!["Authorization"]));

        using var body = JsonDocument.Parse(request.Body!);
        var root = body.RootElement;
        var email = EmailBuilder.Build(alert, "https://runbooks.example/alertpipeline");
        Assert.Equal(email.Subject, root.GetProperty("subject").GetString());
        Assert.Equal("alerts@example.com", root.GetProperty("from").GetProperty("email").GetString());
        Assert.Equal("AlertPipeline", root.GetProperty("from").GetProperty("name").GetString());
        var to = root.GetProperty("personalizations")[0].GetProperty("to").EnumerateArray().Select(t => t.GetProperty("email").GetString()).ToList();
        Assert.Equal(["oncall@example.com", "security@example.com"], to);
        var contents = root.GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(["text/plain", "text/html"], contents.Select(c => c.GetProperty("type").GetString()));
        Assert.Equal(email.Text, contents[0].GetProperty("value").GetString());
        Assert.Equal(email.Html, contents[1].GetProperty("value").GetString());
        var personalization = root.GetProperty("personalizations")[0];
        Assert.Equal(alert.AlertId, personalization.GetProperty("custom_args").GetProperty(SendGridChannel.AlertIdArg).GetString());
        Assert.Equal(alert.AlertId, personalization.GetProperty("headers").GetProperty(SendGridChannel.AlertIdHeader).GetString());
    }

    [Theory]
    [InlineData("owner@example.com", new[] { "oncall@example.com", "security@example.com", "owner@example.com" })]
    [InlineData("OnCall@example.com", new[] { "oncall@example.com", "security@example.com" })]
    [InlineData("x@example.com\r\nBcc: evil@example.com", new[] { "oncall@example.com", "security@example.com" })]
    [InlineData("Evil <evil@example.com>", new[] { "oncall@example.com", "security@example.com" })]
    public async Task The_sandbox_owner_from_the_inventory_is_added_to_the_recipients_only_as_a_plain_address(string ownerEmail, string[] expected)
    {
        _server.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost()).RespondWith(MockResponse.Create().WithStatusCode(202));
        var inventory = new AlertPipeline.Core.Enrich.InMemorySandboxInventory([new AlertPipeline.Core.Enrich.SandboxRecord { Id = "sbx-gpu-042", OwnerEmail = ownerEmail }]);
        var channel = new SendGridChannel(_http, Options(_server.Url!))
        {
            Owners = new AlertPipeline.Core.Enrich.SandboxSnapshotProvider(inventory, TimeSpan.FromMinutes(1)),
        };

        Assert.Equal(ActionStatus.Sent, (await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None)).Status);

        using var body = JsonDocument.Parse(Assert.Single(_server.LogEntries).RequestMessage.Body!);
        var to = body.RootElement.GetProperty("personalizations")[0].GetProperty("to").EnumerateArray().Select(t => t.GetProperty("email").GetString());
        Assert.Equal(expected, to);
    }

    [Fact]
    public async Task A_shared_http_client_sends_repeatedly_with_one_authorization_header()
    {
        _server.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost()).RespondWith(MockResponse.Create().WithStatusCode(202));
        var channel = new SendGridChannel(_http, Options(_server.Url!));

        var first = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);
        var second = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ActionStatus.Sent, first.Status);
        Assert.Equal(ActionStatus.Sent, second.Status);
        Assert.Equal("HTTP 202", second.Detail);
        Assert.All(_server.LogEntries, e => Assert.Single(e.RequestMessage.Headers!["Authorization"]));
    }

    [Fact]
    public async Task Too_many_requests_fails_with_the_retry_after()
    {
        _server.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(429).WithHeader("Retry-After", "30")
                .WithBody("""{"errors":[{"message":"too many requests","field":null}]}"""));
        var channel = new SendGridChannel(_http, Options(_server.Url!));

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ActionStatus.Failed, result.Status);
        Assert.Contains("HTTP 429", result.Detail, StringComparison.Ordinal);
        Assert.Contains("Retry-After 30s", result.Detail, StringComparison.Ordinal);
        Assert.Contains("(retryable)", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_error_fails_as_retryable()
    {
        _server.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost()).RespondWith(MockResponse.Create().WithStatusCode(500));
        var channel = new SendGridChannel(_http, Options(_server.Url!));

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ActionStatus.Failed, result.Status);
        Assert.StartsWith("HTTP 500 (retryable)", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_error_fails_as_not_retryable_with_sendgrids_message()
    {
        _server.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(403)
                .WithBody("""{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from"}]}"""));
        var channel = new SendGridChannel(_http, Options(_server.Url!));

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ActionStatus.Failed, result.Status);
        Assert.Equal("HTTP 403 (not retryable): The from address does not match a verified Sender Identity.", result.Detail);
    }

    [Fact]
    public async Task Unreachable_host_fails_without_throwing_or_leaking_the_key()
    {
        var channel = new SendGridChannel(_http, Options($"http://127.0.0.1:{ChannelTestAlerts.ClosedPort()}"));

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ActionStatus.Failed, result.Status);
        Assert.Contains("HttpRequestException", result.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slow_server_fails_on_the_timeout()
    {
        _server.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(202).WithDelay(TimeSpan.FromSeconds(5)));
        var options = Options(_server.Url!);
        options.Timeout = TimeSpan.FromMilliseconds(200);
        var channel = new SendGridChannel(_http, options);

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ActionStatus.Failed, result.Status);
        Assert.StartsWith("timeout after 0.2s", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Caller_cancellation_is_not_swallowed()
    {
        _server.Given(MockRequest.Create().WithPath("/v3/mail/send").UsingPost())
            .RespondWith(MockResponse.Create().WithStatusCode(202).WithDelay(TimeSpan.FromSeconds(5)));
        var channel = new SendGridChannel(_http, Options(_server.Url!));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.SendAsync(ChannelTestAlerts.Fixed(), cancel.Token));
    }

    [Theory]
    [InlineData(null, "oncall@example.com")]
    [InlineData("", "oncall@example.com")]
    [InlineData(ApiKey, null)]
    [InlineData(ApiKey, " , ;")]
    public async Task Missing_key_or_recipients_is_skipped_without_a_request(string? apiKey, string? to)
    {
        var options = Options(_server.Url!);
        options.ApiKey = apiKey;
        options.To = to;
        var channel = new SendGridChannel(_http, options);

        var result = await channel.SendAsync(ChannelTestAlerts.Fixed(), CancellationToken.None);

        Assert.Equal(ChannelResult.Skipped("email not configured"), result);
        Assert.Empty(_server.LogEntries);
    }

    [Fact]
    public void A_template_id_sends_template_data_instead_of_content()
    {
        var options = Options("http://127.0.0.1");
        options.TemplateId = "d-0123456789abcdef";

        var json = SendGridChannel.BuildMessage(ChannelTestAlerts.Hostile(), options).Serialize();

        using var body = JsonDocument.Parse(json);
        Assert.Equal("d-0123456789abcdef", body.RootElement.GetProperty("template_id").GetString());
        Assert.False(body.RootElement.TryGetProperty("content", out _));
        var data = body.RootElement.GetProperty("personalizations")[0].GetProperty("dynamic_template_data");
        Assert.DoesNotContain('\n', data.GetProperty("title").GetString()!);
        Assert.Single(data.GetProperty("references").EnumerateArray());
    }

    private static SendGridChannelOptions Options(string host) => new()
    {
        ApiKey = ApiKey,
        From = "alerts@example.com",
        To = "oncall@example.com, security@example.com;oncall@example.com",
        Host = host,
        RunbookBaseUrl = "https://runbooks.example/alertpipeline",
    };
}
