# The 100 assignment rules of issue 17's benchmarks, sourced by bench/rules_import_bench.sh
# and bench/import_bench.sh: 90 that match no mail (sender domains, subject and body
# patterns, accounts, languages) checked before 10 that match some (subject and body
# patterns; one sets round-robin owners, some --continue). NOMATCH=1: 100 that match no
# mail (the 90 and 10 more like them).
#   add_100_rules BIN DATA_DIR   (the store already made: init, a support address)
add_100_rules() {
  local bin=$1 data=$2
  for who in ann bob cy; do
    "$bin" --data "$data" agent add --name "$who" --email "$who@corp.example" >/dev/null
  done
  "$bin" --data "$data" queue add Network --agents ann@corp.example,bob@corp.example,cy@corp.example >/dev/null
  local i
  local n=90
  [ -n "${NOMATCH:-}" ] && n=100
  for i in $(seq 1 "$n"); do
    case $((i % 6)) in
      0) "$bin" --data "$data" rule add "none-$i" --if-sender-domain "nowhere$i.example" --set-queue "Q$i" ;;
      1) "$bin" --data "$data" rule add "none-$i" --if-subject "zq$i(x|y)+w|never-$i" --set-queue "Q$i" ;;
      2) "$bin" --data "$data" rule add "none-$i" --if-body "unheard-of phrase $i|\\bqq$i\\d+" --set-priority high ;;
      3) "$bin" --data "$data" rule add "none-$i" --if-account "Account $i" --set-product "P$i" ;;
      4) "$bin" --data "$data" rule add "none-$i" --if-subject "printer" --if-language "x$i" --set-queue "Q$i" ;;
      5) "$bin" --data "$data" rule add "none-$i" --if-body "server" --if-sender "nobody$i@example.com" \
           --set-owner round-robin --set-queue Network ;;
    esac
  done >/dev/null
  [ -n "${NOMATCH:-}" ] && return
  {
    "$bin" --data "$data" rule add urgent --if-subject "urgent|crash" --set-priority high --continue
    "$bin" --data "$data" rule add vpn --if-subject "\\bVPN\\b" --if-body "network|access" --set-queue Network \
      --set-owner round-robin
    "$bin" --data "$data" rule add invoices --if-subject "invoice|license" --set-queue Billing --set-product Licences
    "$bin" --data "$data" rule add domain3 --if-sender-domain example3.com --set-priority low --continue
    "$bin" --data "$data" rule add logins --if-body "log ?in|password" --set-queue Accounts
    "$bin" --data "$data" rule add backup --if-body "backup" --if-attachments yes --set-product Backup
    "$bin" --data "$data" rule add reports --if-subject "report" --set-product Reports --continue
    "$bin" --data "$data" rule add slow --if-subject "slow.*(server|network)" --set-priority high
    "$bin" --data "$data" rule add email --if-subject "^e-?mail" --set-queue Mail
    "$bin" --data "$data" rule add rest --if-business-hours no --set-queue OutOfHours
  } >/dev/null
}
