using AlertPipeline.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
FunctionsComposition.Configure(builder.Services, builder.Configuration);
await builder.Build().RunAsync().ConfigureAwait(false);
