# Catalog service image. Our own machines have no Docker engine, so this file is not exercised here:
# it is kept simple and standard.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props Catalog.sln ./
COPY src/Catalog/Catalog.csproj src/Catalog/
RUN dotnet restore src/Catalog/Catalog.csproj
COPY src/Catalog/ src/Catalog/
# Wolverine's generated code (src/Catalog/Internal/Generated, kept current by scripts/codegen) is compiled in.
# ReadyToRun (Catalog.csproj) makes the publish specific to the build machine's runtime, so it restores for it.
RUN dotnet publish src/Catalog/Catalog.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080 ASPNETCORE_ENVIRONMENT=Production
# The image's own non-root user.
USER app
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD ["dotnet", "Catalog.dll", "healthcheck"]
ENTRYPOINT ["dotnet", "Catalog.dll"]
