-- CreateTable
CREATE TABLE "PushKey" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,
    "privateKeyEnc" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" TIMESTAMP(3),

    CONSTRAINT "PushKey_pkey" PRIMARY KEY ("shop","id")
);

-- CreateTable
CREATE TABLE "PushSubscription" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "p256dh" TEXT NOT NULL,
    "auth" TEXT NOT NULL,
    "customerId" TEXT,
    "browserId" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "userAgent" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "expiredAt" TIMESTAMP(3),
    "lastSuccessAt" TIMESTAMP(3),

    CONSTRAINT "PushSubscription_pkey" PRIMARY KEY ("shop","id")
);

-- CreateTable
CREATE TABLE "PushDelivery" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "subscriptionId" TEXT NOT NULL,
    "customerId" TEXT,
    "campaignId" TEXT,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "topic" TEXT,
    "urgency" TEXT NOT NULL DEFAULT 'normal',
    "ttlSeconds" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "statusCode" INTEGER,
    "error" TEXT,
    "scheduledFor" TIMESTAMP(3) NOT NULL,
    "sentAt" TIMESTAMP(3),
    "clickedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PushDelivery_pkey" PRIMARY KEY ("shop","id")
);

-- CreateIndex
CREATE INDEX "PushKey_shop_status_idx" ON "PushKey"("shop", "status");

-- CreateIndex
CREATE INDEX "PushSubscription_shop_customerId_idx" ON "PushSubscription"("shop", "customerId");

-- CreateIndex
CREATE INDEX "PushSubscription_shop_browserId_idx" ON "PushSubscription"("shop", "browserId");

-- CreateIndex
CREATE INDEX "PushDelivery_shop_campaignId_idx" ON "PushDelivery"("shop", "campaignId");

-- CreateIndex
CREATE INDEX "PushDelivery_shop_customerId_sentAt_idx" ON "PushDelivery"("shop", "customerId", "sentAt");

-- CreateIndex
CREATE INDEX "PushDelivery_shop_subscriptionId_idx" ON "PushDelivery"("shop", "subscriptionId");
