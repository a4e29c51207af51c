"""Tools that measure or report on the bot: they sit outside the packages they measure.

- `retrieval_evaluation`: recall of the question-to-passage set, and the offline answer check.
- `content_report`: the editors' report on the library (`make content-report`).
- `k8s_policy`: the deployment's security rules, checked on the Kubernetes manifests (`make lint-k8s`), with
  its parts `k8s_manifests`, `k8s_pods`, `k8s_network` and `nginx_conf`;
- `k8s_gateway`: the Kubernetes gateway's fallback reply with the deployment's numbers (`make k8s-gateway`).

The evaluations of the running bot (`bot.evaluation`, `bot.dialogue_evaluation`, `bot.nlu_eval`) talk to it
over HTTP or through Rasa and sit beside this package.
"""
