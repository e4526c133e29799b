using System.Net;
using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Policy;
using AlertPipeline.Functions.Functions;
using AlertPipeline.Functions.Tests.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Functions.Tests.Functions;

/// <summary>The response policy functions through the app's own composition (in-memory stores).</summary>
public sealed class ResponsePolicyFunctionsTests : IDisposable
{
    private const string Entry = """
        { "level": "critical", "team": "research", "channels": ["email", "shutdown"],
          "recipients": ["research-oncall@example.com"], "shutdown": "approval" }
        """;

    private readonly ServiceProvider _services;
    private readonly ResponsePolicyFunctions _functions;

    public ResponsePolicyFunctionsTests()
    {
        var services = new ServiceCollection();
        FunctionsComposition.Configure(services, new ConfigurationBuilder().Build());
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _functions = ActivatorUtilities.CreateInstance<ResponsePolicyFunctions>(_services);
    }

    public void Dispose() => _services.Dispose();

    private TestHttpRequest Request(string method, string path, string? body = null) =>
        new(new TestFunctionContext(_services, new Dictionary<string, object?>()), method, path, body is null ? null : Encoding.UTF8.GetBytes(body));

    private async Task<TestHttpResponse> Put(string id, string body)
        => TestHttp.Read(await _functions.PutAsync(Request("PUT", $"policy/{id}", body), id, CancellationToken.None));

    [Fact]
    public async Task Put_stores_the_entry_and_this_instance_applies_it_at_once()
    {
        var response = await Put("research-critical", Entry);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(string.IsNullOrEmpty(response.Header("ETag")));
        Assert.Equal("approval", response.Json.GetProperty("shutdown").GetString());
        var policy = await _services.GetRequiredService<ResponsePolicyProvider>().GetAsync(CancellationToken.None);
        Assert.Equal(ShutdownMode.Approval, policy.Resolve(AlertLevel.Critical, "r", "research", null).Shutdown);

        var list = TestHttp.Read(await _functions.ListAsync(Request("GET", "policy"), CancellationToken.None));
        var listed = Assert.Single(list.Json.GetProperty("entries").EnumerateArray());
        Assert.Equal(("research-critical", "active"), (listed.GetProperty("id").GetString(), listed.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task An_invalid_entry_is_a_422_problem_listing_every_problem_and_nothing_is_stored()
    {
        var response = await Put("x", """{ "level": "severe", "channels": ["email", "pager"], "recipients": ["Bob <bob@example.com>"], "shutdown": "sometimes" }""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.StartsWith("application/problem+json", response.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("urn:alertpipeline:problem:invalid-policy-entry", response.Json.GetProperty("type").GetString());
        var errors = response.Json.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Contains(errors, e => e.Contains("level 'severe'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("channel 'pager'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("not a plain email address", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("shutdown 'sometimes'", StringComparison.Ordinal));
        Assert.Empty(await _services.GetRequiredService<IResponsePolicyStore>().ListAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("""{ "level": "high", "shutdwon": "off" }""", "unknown field 'shutdwon'")]
    [InlineData("""{ "id": "other", "level": "high" }""", "not the id in the URL")]
    [InlineData("""{ "level": "high", "channels": "email" }""", "'channels' must be an array of strings")]
    public async Task A_body_of_the_wrong_shape_is_a_400(string body, string expected)
    {
        var response = await Put("x", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_removes_the_entry_and_a_second_delete_is_404()
    {
        await Put("research-critical", Entry);

        var first = TestHttp.Read(await _functions.DeleteAsync(Request("DELETE", "policy/research-critical"), "research-critical", CancellationToken.None));
        var second = TestHttp.Read(await _functions.DeleteAsync(Request("DELETE", "policy/research-critical"), "research-critical", CancellationToken.None));

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        var policy = await _services.GetRequiredService<ResponsePolicyProvider>().GetAsync(CancellationToken.None);
        Assert.Empty(policy.Entries);
    }

    [Theory]
    [InlineData("ListResponsePolicy", "ListAsync", "get", "policy", "Function")]
    [InlineData("PutResponsePolicy", "PutAsync", "put", "policy/{id}", "Admin")]
    [InlineData("DeleteResponsePolicy", "DeleteAsync", "delete", "policy/{id}", "Admin")]
    public void Each_function_has_its_route_method_and_auth_level(string functionName, string method, string httpMethod, string route, string authLevel)
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var function = Assert.Single(metadata.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == functionName);

        Assert.Equal($"AlertPipeline.Functions.Functions.ResponsePolicyFunctions.{method}", function.GetProperty("entryPoint").GetString());
        var trigger = Assert.Single(function.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString() == "httpTrigger");
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
        Assert.Equal([httpMethod], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }
}
