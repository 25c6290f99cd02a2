@echo off
rem Starts the restream server (building it first when needed) and says where everything is:
rem the dashboard URL, the OBS server URL and where the admin password comes from.
rem   start_server.bat                      defaults: dashboard :8080, RTMP :1935, data in .\data
rem   set HTTP_PORT=9000 ^& start_server.bat  any option as an environment variable (restream --help)
setlocal EnableExtensions
cd /d "%~dp0"

where node >nul 2>nul
if errorlevel 1 (
  echo Node.js is not installed: run setup.bat first.
  exit /b 1
)
if not exist node_modules (
  echo The npm packages are not installed: run setup.bat first.
  exit /b 1
)
if not exist dist\web\index.html (
  echo ==^> building the server and the dashboard ^(npm run build^)
  call npm run build
  if errorlevel 1 exit /b 1
)

set "PORT_HTTP=%HTTP_PORT%"
if "%PORT_HTTP%"=="" set "PORT_HTTP=8080"
set "PORT_RTMP=%RTMP_PORT%"
if "%PORT_RTMP%"=="" set "PORT_RTMP=1935"
set "DATA=%DATA_DIR%"
if "%DATA%"=="" set "DATA=.\data"

rem The first IPv4 address of this machine, for OBS on another computer.
set "HOST="
for /f "tokens=2 delims=:" %%a in ('ipconfig ^| findstr /c:"IPv4"') do if not defined HOST set "HOST=%%a"
if defined HOST (set "HOST=%HOST: =%") else (set "HOST=localhost")

echo.
echo   Dashboard:       http://%HOST%:%PORT_HTTP%/   (on this machine: http://localhost:%PORT_HTTP%/)
echo   OBS server:      rtmp://%HOST%:%PORT_RTMP%/live
echo   OBS stream key:  in the dashboard, OBS setup page
if not "%RESTREAM_ADMIN_PASSWORD%"=="" (
  echo   Admin password:  the value of RESTREAM_ADMIN_PASSWORD
) else if exist "%DATA%\restream.db" (
  echo   Admin password:  the one printed when the server first started ^(only its hash is stored;
  echo                    to reset it: set RESTREAM_ADMIN_PASSWORD=your-new-password, then start again^)
) else (
  echo   Admin password:  printed below, once, on this first start ^(or set RESTREAM_ADMIN_PASSWORD^)
)
echo   Data:            %DATA%
echo   Windows may ask to allow Node.js through the firewall: allow it on private networks for OBS.
echo.

node scripts\ensure-built.js
if errorlevel 1 exit /b 1
node bin\restream.js serve %*
