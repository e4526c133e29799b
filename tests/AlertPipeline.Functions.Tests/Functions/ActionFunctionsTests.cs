using System.Net;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Shutdown;
using AlertPipeline.Functions.Functions;
using AlertPipeline.Functions.Http;
using AlertPipeline.Functions.Tests.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Functions.Tests.Functions;

/// <summary>
/// The action-link functions through the app's own composition (signing keys from configuration, in-memory stores):
/// GET shows and never acts, POST acts once, and forged, expired, reused, misdirected or malformed links are refused
/// with their status and change nothing.
/// </summary>
public sealed class ActionFunctionsTests : IDisposable
{
    private const string LinkKey = "YWN0aW9uLWxpbmstdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";
    private const string CommandKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private const string AlertId = "5f0c3e9a7b21d4e8";

    private readonly ServiceProvider _services;
    private readonly ActionFunctions _functions;
    private readonly IAlertStore _alerts;
    private readonly InMemoryShutdownCommandQueue _queue;

    public ActionFunctionsTests()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Actions:SigningKey"] = LinkKey,
            ["Actions:KeyId"] = "a1",
            ["Actions:BaseUrl"] = "https://func-alertpipe.example",
            ["Shutdown:SigningKey"] = CommandKey,
            ["Shutdown:MaxPerHour"] = "0",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<ISandboxInventory>(new InMemorySandboxInventory([new SandboxRecord { Id = "rl-env-7731" }]));
        FunctionsComposition.Configure(services, configuration);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _functions = ActivatorUtilities.CreateInstance<ActionFunctions>(_services);
        _alerts = _services.GetRequiredService<IAlertStore>();
        _queue = (InMemoryShutdownCommandQueue)_services.GetRequiredService<IShutdownCommandQueue>();
        Assert.True(_alerts.TryAddAsync(new Alert
        {
            AlertId = AlertId,
            RuleId = "gpu-miner",
            RulePack = "default",
            Title = "Miner <script>alert(1)</script> on GPUs",
            Level = AlertLevel.Critical,
            SandboxId = "rl-env-7731",
            Actions = [new ActionRecord { Channel = "shutdown", Status = ActionStatus.AwaitingApproval, Detail = "guardrail: cap reached" }],
        }, CancellationToken.None).Result);
    }

    public void Dispose() => _services.Dispose();

    private Uri Url(AlertAction action, TimeProvider? signedAt = null, string alertId = AlertId)
    {
        var link = new ActionLinkSigner(LinkKey, "a1", signedAt).Sign(alertId, action, TimeSpan.FromHours(2), "ops@example.com");
        return link.ToUri(new Uri("https://func-alertpipe.example"));
    }

    private async Task<TestHttpResponse> Call(string method, Uri url)
    {
        var segments = url.AbsolutePath.Split('/');
        var request = new TestHttpRequest(new TestFunctionContext(_services, new Dictionary<string, object?>()), method, url.PathAndQuery[5..]);
        var response = method == "GET"
            ? await _functions.ShowAsync(request, segments[^2], segments[^1], CancellationToken.None)
            : await _functions.TakeAsync(request, segments[^2], segments[^1], CancellationToken.None);
        return TestHttp.Read(response);
    }

    private async Task<string?> ETagAsync() => (await _alerts.GetAsync(AlertId, CancellationToken.None))!.ETag;

    [Fact]
    public async Task Get_shows_an_escaped_confirmation_and_changes_nothing_then_post_approves_once()
    {
        var url = Url(AlertAction.Approve);
        var before = await ETagAsync();

        var page = await Call("GET", url);
        var again = await Call("GET", url);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (page.StatusCode, again.StatusCode));
        Assert.StartsWith("text/html", page.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal(ActionPages.ContentSecurityPolicy, page.Header("Content-Security-Policy"));
        Assert.Equal(("no-store", "no-referrer"), (page.Header("Cache-Control"), page.Header("Referrer-Policy")));
        Assert.Contains("<form method=\"post\"", page.Text, StringComparison.Ordinal);
        Assert.Contains("Miner &lt;script&gt;alert(1)&lt;/script&gt; on GPUs", page.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", page.Text, StringComparison.Ordinal);
        Assert.Equal(before, await ETagAsync());
        Assert.Empty(_queue.Messages);

        var done = await Call("POST", url);
        var reused = await Call("POST", url);

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, reused.StatusCode);
        Assert.Contains("already used", reused.Text, StringComparison.Ordinal);
        Assert.Single(_queue.Messages);
        var alert = (await _alerts.GetAsync(AlertId, CancellationToken.None))!;
        Assert.Equal(ActionStatus.Sent, alert.ActionFor("shutdown")!.Status);
        Assert.StartsWith("approved by ops@example.com (signed link)", alert.ActionFor("shutdown")!.Detail, StringComparison.Ordinal);
        var audit = await _services.GetRequiredService<IAuditLog>().ListByAlertAsync(AlertId, 10, CancellationToken.None);
        Assert.Contains(audit, e => e is { Kind: AuditKind.Approval, Action: "approve", Outcome: "sent" });
    }

    [Fact]
    public async Task Post_dismiss_voids_the_held_command()
    {
        var done = await Call("POST", Url(AlertAction.Dismiss));

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var alert = (await _alerts.GetAsync(AlertId, CancellationToken.None))!;
        Assert.Equal((AlertStatus.Dismissed, ActionStatus.Skipped), (alert.Status, alert.ActionFor("shutdown")!.Status));
        Assert.Equal(HttpStatusCode.Conflict, (await Call("POST", Url(AlertAction.Approve))).StatusCode);
        Assert.Empty(_queue.Messages);
    }

    public static TheoryData<string, HttpStatusCode> Refused => new()
    {
        { "forged", HttpStatusCode.Forbidden },
        { "wrong alert", HttpStatusCode.Forbidden },
        { "wrong action", HttpStatusCode.Forbidden },
        { "no signature", HttpStatusCode.Forbidden },
        { "expired", HttpStatusCode.Gone },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Bad_links_are_refused_with_a_reason_for_get_and_post(string kind, HttpStatusCode status)
    {
        var good = Url(AlertAction.Approve).AbsoluteUri;
        var url = new Uri(kind switch
        {
            "forged" => good[..^4] + (good.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA"),
            "wrong alert" => good.Replace(AlertId, "0f0f0f0f0f0f0f0f", StringComparison.Ordinal),
            "wrong action" => good.Replace("/approve?", "/dismiss?", StringComparison.Ordinal),
            "no signature" => good[..good.IndexOf("&sig=", StringComparison.Ordinal)],
            _ => Url(AlertAction.Approve, new FixedTime(DateTimeOffset.UtcNow.AddHours(-3))).AbsoluteUri,
        });
        var before = await ETagAsync();

        var page = await Call("GET", url);
        var post = await Call("POST", url);

        Assert.Equal((status, status), (page.StatusCode, post.StatusCode));
        Assert.Contains("This link", post.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("<form", post.Text, StringComparison.Ordinal);
        Assert.Equal(before, await ETagAsync());
        Assert.Empty(_queue.Messages);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
